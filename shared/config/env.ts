import * as z from 'zod/mini';

/**
 * An environment variable holding a number: parsed from its text, then checked, with a message that names the
 * variable and what it should be. Shared by every function's configuration (zod/mini, for the bundle size).
 */
export const envNumber = (name: string, hint: string, check: (x: number) => string | undefined) =>
  z.pipe(
    z.string(),
    z.transform((raw: string, ctx) => {
      const x = Number(raw.trim());
      const problem = /^-?\d+(\.\d+)?$/.test(raw.trim()) ? check(x) : `${name} must be a number (${hint}), got ${JSON.stringify(raw)}`;
      if (problem) {
        ctx.issues.push({ code: 'custom', input: raw, message: problem });
        return z.NEVER;
      }
      return x;
    }),
  );
