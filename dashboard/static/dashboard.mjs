// Progressive enhancement only: every page works without this file.
import {
  Accordion,
  Button,
  CharacterCount,
  ErrorSummary,
  ExitThisPage,
  FileUpload,
  NotificationBanner,
  PasswordInput,
  ServiceNavigation,
  SkipLink,
  Tabs,
  createAll,
} from '/govuk-frontend.min.js';
import { drawCharts } from '/static/charts.mjs';
import { setUpConditionalReveals } from '/static/conditional-reveal.mjs';

// Every GOV.UK Frontend component except Radios and Checkboxes, whose conditional
// reveals we drive ourselves (see docs/decisions/0013-conditional-reveals.md).
for (const Component of [Accordion, Button, CharacterCount, ErrorSummary, ExitThisPage, FileUpload, NotificationBanner, PasswordInput, ServiceNavigation, SkipLink, Tabs]) {
  createAll(Component);
}
setUpConditionalReveals();
drawCharts();

// The report's "Print" button needs JavaScript, so it is hidden until now.
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', (event) => {
    event.preventDefault();
    window.print();
  });
}
