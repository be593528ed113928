// The start page: a code typed here opens its poll's voter page.
import { api, normalizeCode } from './common.js';

const form = document.getElementById('join');
const input = document.getElementById('code');
const error = document.getElementById('code-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const code = normalizeCode(input.value);
  if (!code) {
    error.textContent = 'A code has six letters or digits, such as ABC234.';
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  try {
    await api('GET', `/api/join/${code}`);
    location.assign(`/p/${code}`);
  } catch (e) {
    error.textContent = e.status === 404
      ? `No open poll has the code ${code}. Check it, or the poll may have closed.`
      : `The server could not be reached: ${e.message}`;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
});
input.addEventListener('input', () => {
  error.textContent = '';
  input.removeAttribute('aria-invalid');
});
