// The app's pages (/app and /app/report), enhanced. Both work as plain server pages
// without this; with it, a report is made and kept on the phone (IndexedDB) and sent when
// there is a connection, and the home page lists what the phone is keeping.
import { enhanceHome } from './app/home.js';
import { enhanceReportForm } from './app/report-form.js';

const form = document.querySelector<HTMLFormElement>('form[data-app-report]');
if (form && 'indexedDB' in window && 'randomUUID' in crypto) enhanceReportForm(form);
if (document.querySelector('[data-waiting-reports]')) enhanceHome();
