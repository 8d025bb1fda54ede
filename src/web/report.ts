// Browser entry point for the Report It pages. Every page works without it: this only
// adds to forms that are already complete, and maps to pages that already say in words
// where things are. The maps (Leaflet, the bulk of the code) load only on pages with one.
import { enhancePhotoInput } from './report/photos.js';

// A part that could not be fetched (a dropped connection) leaves its page as it was. Only
// fetching is excused: an error in the part itself still reaches the console.
const notFetched = () => undefined;

const whereForm = document.querySelector<HTMLFormElement>('form[data-report-where]');
if (whereForm) {
  import('./report/where.js').then(({ enhanceWhere }) => {
    enhanceWhere(whereForm);
  }, notFetched);
}

// A report's own page, and the public list of reports with the list the map shows.
const reportMap = document.querySelector<HTMLElement>('.report-map[data-readonly]');
const listMap = document.querySelector<HTMLElement>('.report-map[data-list-map]');
const reportList = document.querySelector<HTMLElement>('[data-report-list]');
if (reportMap || (listMap && reportList)) {
  import('./report/view-map.js').then(({ showReportMap, showListMap }) => {
    if (reportMap) showReportMap(reportMap);
    if (listMap && reportList) showListMap(listMap, reportList);
  }, notFetched);
}

for (const input of document.querySelectorAll<HTMLInputElement>(
  'input[type="file"][data-photo-input]',
))
  enhancePhotoInput(input);
