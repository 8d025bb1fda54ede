// Browser entry point for the Report It pages. Every page works without it: this only
// adds to forms that are already complete. The where page's map (Leaflet, the bulk of
// the code) is loaded only on that page.
import { enhancePhotoInput } from './report/photos.js';

const whereForm = document.querySelector<HTMLFormElement>('form[data-report-where]');
if (whereForm) {
  import('./report/where.js').then(
    ({ enhanceWhere }) => {
      enhanceWhere(whereForm);
    },
    () => {
      // The map could not be fetched (a dropped connection): the form still works as it is.
    },
  );
}

for (const input of document.querySelectorAll<HTMLInputElement>(
  'input[type="file"][data-photo-input]',
))
  enhancePhotoInput(input);
