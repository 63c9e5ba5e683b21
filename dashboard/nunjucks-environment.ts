import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { humanise, formatDate, formatDateTime, formatNumber, formatPercent, formatPercentagePoints, formatInterval, formatPValue, stageLabel } from './format.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const VIEWS_DIRECTORY = resolve(here, 'views');
export const GOVUK_FRONTEND_DIST = resolve(here, '../node_modules/govuk-frontend/dist');

/**
 * One nunjucks environment per app (no global `nunjucks.configure`), reading our
 * views first and then govuk-frontend's templates and macros. Autoescape is on:
 * anything marked `| safe` is built by our own code from escaped parts.
 */
export function createNunjucksEnvironment(): nunjucks.Environment {
  const loader = new nunjucks.FileSystemLoader([VIEWS_DIRECTORY, GOVUK_FRONTEND_DIST], { noCache: false, watch: false });
  const env = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
  env.addFilter('humanise', humanise);
  // Withheld counts in tables: "<10" and "withheld" keep the columns narrow; the report says what they mean.
  env.addFilter('shortCount', (text: string) => (text === 'fewer than 10' ? '<10' : text === 'withheld (small numbers)' ? 'withheld' : text));
  env.addFilter('date', formatDate);
  env.addFilter('dateTime', formatDateTime);
  env.addFilter('number', formatNumber);
  env.addFilter('percent', formatPercent);
  env.addFilter('pp', formatPercentagePoints);
  env.addFilter('interval', formatInterval);
  env.addFilter('pValue', formatPValue);
  env.addFilter('stageLabel', stageLabel);
  env.addFilter('jsonScript', (value: unknown) => new nunjucks.runtime.SafeString(jsonForScript(value)));
  return env;
}

/** JSON that is safe inside `<script type="application/json">`: no `</script>` or `<!--` can break out. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * govuk/template.njk has one inline script (it adds the `js-enabled` class).
 * Our CSP allows scripts only from 'self', so that script is allowed by its
 * hash, as GOV.UK Frontend's own guidance recommends. Computed from the
 * installed template, so an upgrade that changes the script cannot silently
 * break it.
 */
export function govukTemplateScriptHash(): string {
  const template = readFileSync(resolve(GOVUK_FRONTEND_DIST, 'govuk/template.njk'), 'utf8');
  const match = /<script[^>]*>([^<]*)<\/script>/.exec(template);
  if (!match) throw new Error('govuk/template.njk no longer has its inline script: check the CSP in dashboard/index.ts');
  return `'sha256-${createHash('sha256').update(match[1], 'utf8').digest('base64')}'`;
}
