// While an enrolment runs, fetch its page every few seconds and swap in the
// progress region (a status live region), so the count moves without a reload.
// Without JavaScript the page has a "Refresh progress" link instead.
const region = document.getElementById('enrolment-progress');

async function update() {
  const response = await fetch(window.location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
  if (!response.ok) return;
  const next = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('enrolment-progress');
  if (!next) return;
  region.innerHTML = next.innerHTML;
  region.dataset.status = next.dataset.status;
  if (next.dataset.status === 'running') window.setTimeout(update, 3000);
}

if (region && region.dataset.status === 'running') window.setTimeout(update, 3000);
