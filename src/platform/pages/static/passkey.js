/* global document */
// Passkeys (WebAuthn): a form marked data-passkey="sign-in" or "register" asks its own action
// for the ceremony's options (action=passkey-options, JSON), lets the browser make or use the
// passkey, then posts the form itself with the browser's answer in `credential`. The server
// checks everything; this file only carries the answer. Without JavaScript the form posts with
// no answer and the page says that a passkey needs JavaScript.
import { browserSupportsWebAuthn, startAuthentication, startRegistration } from '/webauthn/index.js';

for (const form of document.querySelectorAll('form[data-passkey]')) {
  form.addEventListener('submit', async (event) => {
    if (form.dataset.sending) return;
    event.preventDefault();
    form.dataset.sending = 'true';
    form.elements.namedItem('js').value = 'true';
    let answer = '';
    // a passkey without a name is not asked for: the server says what is missing
    const name = form.elements.namedItem('name');
    if (browserSupportsWebAuthn() && !(name && name.value.trim() === '')) {
      try {
        const body = new URLSearchParams(new FormData(form));
        body.set('action', 'passkey-options');
        // an input named `action` hides form.action: read the attribute
        const res = await fetch(form.getAttribute('action'), { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
        if (res.ok) {
          const optionsJSON = await res.json();
          const credential = form.dataset.passkey === 'register' ? await startRegistration({ optionsJSON }) : await startAuthentication({ optionsJSON });
          answer = JSON.stringify(credential);
        }
      } catch {
        // cancelled, timed out or refused by the browser: the server says so and the person may try again
      }
    }
    form.elements.namedItem('credential').value = answer;
    form.submit();
  });
}
