// Conditional reveals for GOV.UK radios and checkboxes: the content under a chosen
// option is shown, the rest hidden (without JavaScript, all of it shows). Unlike
// GOV.UK Frontend's own script this does not put aria-expanded on the inputs,
// which ARIA does not allow on radios and checkboxes (axe: aria-allowed-attr);
// aria-controls still ties each option to its content.

const HIDDEN = { radios: 'govuk-radios__conditional--hidden', checkboxes: 'govuk-checkboxes__conditional--hidden' };

function kindOf(input) {
  return input.classList.contains('govuk-radios__input') ? 'radios' : 'checkboxes';
}

function sync(inputs) {
  for (const input of inputs) {
    const target = document.getElementById(input.getAttribute('aria-controls'));
    if (target) target.classList.toggle(HIDDEN[kindOf(input)], !input.checked);
  }
}

export function setUpConditionalReveals() {
  const inputs = [];
  for (const input of document.querySelectorAll('.govuk-radios__input[data-aria-controls], .govuk-checkboxes__input[data-aria-controls]')) {
    const id = input.dataset.ariaControls;
    if (!document.getElementById(id)) continue;
    input.setAttribute('aria-controls', id);
    input.removeAttribute('data-aria-controls');
    inputs.push(input);
  }
  if (inputs.length === 0) return;
  sync(inputs);
  document.addEventListener('change', (event) => {
    if (event.target instanceof HTMLInputElement && (event.target.type === 'radio' || event.target.type === 'checkbox')) sync(inputs);
  });
  // Forms restored from the back-forward cache keep their state: show what is chosen.
  window.addEventListener('pageshow', () => sync(inputs));
}
