/**
 * The heavy project's default timeout: these suites do minutes of real work (a pipeline, a browser, `sls package`,
 * forests over NAB series), and CI shares its 2 cores with whatever else runs. The bound is there only so a hung
 * suite ends; it is not a speed expectation (speed is measured in `npm run bench`).
 */
jest.setTimeout(15 * 60_000);
