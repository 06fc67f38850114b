'use strict';
/* global module */

/**
 * Existing input streams (issue 15 item 3): with the stage parameter `inputStreamArn` set, the service attaches its
 * functions and archive to that Kinesis stream instead of creating one.
 *
 * resources/stream.yml declares the condition (CreateInputStream: inputStreamArn is empty) and puts it on the
 * InputStream resource. Every other file keeps writing `!GetAtt InputStream.Arn` / `!Ref InputStream` / `${InputStream}`
 * as before; after the resources are merged this module rewrites each such reference into
 * `Fn::If [CreateInputStream, <the reference>, <the existing stream's ARN or name>]`. Done here, once, rather than in
 * every file: serverless' stream event cannot take an `Fn::If` as its ARN (it derives the mapping's logical id from a
 * GetAtt/Ref/Join), and references added later follow without anyone remembering to guard them.
 * The template therefore has the same shape with and without the parameter, and is valid in both cases.
 */

const INPUT = 'InputStream';
const CONDITION = 'CreateInputStream';
const KINESIS_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([A-Za-z0-9_.-]{1,128})$/;

/** The existing stream named by the parameter, undefined when empty; throws a message saying what to fix. */
function parseInputStreamArn(value) {
  const text = value === undefined || value === null ? '' : String(value).trim();
  if (text === '') return undefined;
  const m = KINESIS_ARN.exec(text);
  if (!m)
    throw new Error(
      `inputStreamArn "${text}" is not a Kinesis stream ARN: write arn:aws:kinesis:<region>:<account>:stream/<name> (or leave it empty to create the stream)`,
    );
  return { arn: text, name: m[1] };
}

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Rewrites every reference to InputStream outside the resources it conditions into a conditional one. `existing` is
 * parseInputStreamArn's result (undefined: the stream is created, and the else branches are never taken).
 * Returns how many references were rewritten. Throws for references that cannot be made conditional.
 */
function attachInputStream(template, existing) {
  const resources = template.Resources || {};
  const stream = resources[INPUT];
  if (!stream) return 0;
  if (stream.Condition !== CONDITION)
    throw new Error(`resources/stream.yml: ${INPUT} must carry Condition: ${CONDITION} (the existing-stream switch)`);
  if (!template.Conditions || !template.Conditions[CONDITION])
    throw new Error(`resources/stream.yml must declare the condition ${CONDITION}`);
  const arn = existing ? existing.arn : '';
  const name = existing ? existing.name : '';
  const guarded = (ref, other) => ({ 'Fn::If': [CONDITION, ref, other] });
  let count = 0;

  const rewriteSub = (sub, where) => {
    const [text, vars] = Array.isArray(sub) ? [sub[0], { ...walk(sub[1] || {}, `${where}.Fn::Sub[1]`) }] : [sub, {}];
    if (typeof text !== 'string') return { 'Fn::Sub': sub };
    let used = false;
    const out = text.replace(/\$\{([A-Za-z0-9:.]+)\}/g, (whole, ref) => {
      if (ref === INPUT) {
        vars.InputStreamName = guarded({ Ref: INPUT }, name);
      } else if (ref === `${INPUT}.Arn`) {
        vars.InputStreamArn = guarded({ 'Fn::GetAtt': [INPUT, 'Arn'] }, arn);
      } else if (ref.startsWith(`${INPUT}.`)) {
        throw new Error(`${where}: \${${ref}} has no equivalent for an existing stream`);
      } else return whole;
      used = true;
      count += 1;
      return ref === INPUT ? '${InputStreamName}' : '${InputStreamArn}';
    });
    return used ? { 'Fn::Sub': [out, vars] } : { 'Fn::Sub': sub };
  };

  const walk = (v, where) => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${where}[${i}]`));
    if (!isObject(v)) return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = v[k];
      if (k === 'Ref' && arg === INPUT) {
        count += 1;
        return guarded(v, name);
      }
      if (k === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(arg) ? arg : String(arg).split('.');
        if (id === INPUT) {
          if (attr !== 'Arn') throw new Error(`${where}: ${INPUT}.${attr} has no equivalent for an existing stream`);
          count += 1;
          return guarded({ 'Fn::GetAtt': [INPUT, 'Arn'] }, arn);
        }
        return v;
      }
      // Already switched on the same condition: its first branch may use the stream.
      if (k === 'Fn::If' && Array.isArray(arg) && arg[0] === CONDITION) return { 'Fn::If': [CONDITION, arg[1], walk(arg[2], where)] };
      if (k === 'Fn::Sub') return rewriteSub(arg, where);
    }
    const out = {};
    for (const key of keys) out[key] = walk(v[key], `${where}.${key}`);
    return out;
  };

  for (const [id, decl] of Object.entries(resources)) {
    if (id === INPUT || decl.Condition === CONDITION) continue;
    const dependsOn = [].concat(decl.DependsOn || []);
    if (dependsOn.includes(INPUT))
      throw new Error(`Resources.${id}: DependsOn ${INPUT} cannot hold for an existing stream; reference the stream instead`);
    resources[id] = walk(decl, `Resources.${id}`);
  }
  for (const [id, output] of Object.entries(template.Outputs || {})) {
    if (output.Condition === CONDITION) continue;
    template.Outputs[id] = walk(output, `Outputs.${id}`);
  }
  return count;
}

module.exports = { parseInputStreamArn, attachInputStream, INPUT_STREAM_CONDITION: CONDITION };
