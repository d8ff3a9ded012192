/* global document, window */
// Progressive enhancement only: every page works without this file.
import { initAll } from '/nhsuk/nhsuk-frontend.min.js';

initAll();

// A form is sent once: a second click while the first is on its way does nothing.
for (const form of document.querySelectorAll('form[data-submit-once]')) {
  form.addEventListener('submit', (event) => {
    if (form.dataset.submitted) event.preventDefault();
    form.dataset.submitted = 'true';
  });
}

// Coming back to a page (back button, bfcache): its forms may be sent again.
window.addEventListener('pageshow', () => {
  for (const form of document.querySelectorAll('form[data-submit-once]')) delete form.dataset.submitted;
});

// nhsuk-frontend's conditional reveal sets aria-expanded on its radios, which ARIA does not allow
// on a radio (axe: aria-allowed-attr; GOV.UK Frontend dropped it for that reason). The reveal
// itself, aria-controls and the hidden content stay as nhsuk-frontend makes them.
const dropRadioExpanded = () => {
  for (const radio of document.querySelectorAll('input[type="radio"][aria-expanded]')) radio.removeAttribute('aria-expanded');
};
dropRadioExpanded();
document.addEventListener('click', dropRadioExpanded);
window.addEventListener('pageshow', dropRadioExpanded);
