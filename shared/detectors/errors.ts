/** The detectors file is missing, not YAML, or describes detectors that cannot work; the message lists every problem. */
export class DetectorsConfigError extends Error {
  override readonly name = 'DetectorsConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      `${source}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`}`,
    );
  }
}
