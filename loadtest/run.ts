/**
 * npm run loadtest -- [smoke|canvas|camera|upload|idle] [--vus N] [--duration 60s] [--rate N] [--hold S]
 * Builds k6 if needed, generates the test data, starts the server, runs the scenario (smoke by
 * default), prints k6's summary and saves it as JSON under loadtest/results/. Exits with k6's code
 * (99 when a threshold fails).
 */
import { parseCli } from '../server/cli-args.js';
import { startServerProcess } from '../test/support/server-process.js';
import { LOAD_TEST_SERVER_ENV, prepareK6, runK6, SCENARIOS, type Scenario } from './k6.js';

const USAGE = `Usage: npm run loadtest -- [${SCENARIOS.join('|')}] [--vus N] [--duration 60s] [--rate N] [--hold S]`;
const { values, positionals } = parseCli(
  {
    vus: { type: 'string' },
    duration: { type: 'string' },
    rate: { type: 'string' },
    hold: { type: 'string' },
  },
  USAGE,
);
const scenario = (positionals[0] ?? 'smoke') as Scenario;
if (!SCENARIOS.includes(scenario)) {
  console.log(USAGE);
  process.exit(2);
}

await prepareK6();
const server = await startServerProcess(LOAD_TEST_SERVER_ENV);
const sizes: Record<string, string> = {};
if (values.vus) sizes.VUS = values.vus;
if (values.duration) sizes.DURATION = values.duration;
if (values.rate) sizes.RATE = values.rate;
if (values.hold) sizes.HOLD = values.hold;
const { code, resultsFile } = await runK6(scenario, server.baseUrl, sizes);
await server.stop();
console.log(`summary saved as ${resultsFile}`);
process.exit(code);
