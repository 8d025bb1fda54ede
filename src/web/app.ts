// Browser entry point. Every page works without it: this only upgrades
// govuk-frontend components (accordions, error summaries, character counts…)
// that are marked up with `data-module`.
//
// The layout's inline script adds `govuk-frontend-supported` to <body> when the
// browser supports ES modules; initAll checks for that class and quietly does
// nothing in older browsers, leaving the plain HTML to do the job.
import { initAll } from 'govuk-frontend';

initAll();
