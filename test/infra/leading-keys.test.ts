import { join } from 'node:path';
import { DynamoDBClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BuildMiddleware } from '@smithy/types';
import { loadResources } from '../../local/definitions';
import {
  ALERTABLE_FAMILIES,
  PK_PREFIX,
  cooldownPk,
  hotspotsPk,
  hotspotsStatePk,
  modelPk,
  registryPk,
  windowPk,
} from '../../shared/store/keys';
import { PER_RECORD_PK } from '../../shared/per-record/dynamo';
import { REPO_ROOT } from '../support/sls-package';
import { T0, startAlertsHarness, windowItem, type AlertsHarness } from '../integration/alerts-fixtures';

/**
 * Least privilege inside the table (issue 13): each function's role reaches only its own item families, by
 * `dynamodb:LeadingKeys` conditions on pk prefixes (functions/*\/resources.yml). Checked two ways: the prefixes in
 * the policies are shared/store/keys.ts's, and every request the alerts function really makes in a run (against
 * dynalite, recorded) is one its policy allows, including the index Scan, which names no partition key.
 */

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function statements(fn: string, roleId: string): Statement[] {
  const role = loadResources(join(REPO_ROOT, 'functions', fn))[roleId];
  if (!role) throw new Error(`functions/${fn}/resources.yml declares no ${roleId}`);
  const policies = (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** The table or its index, as the policies name them (the CloudFormation intrinsics as loadResources reads them). */
const TABLE = JSON.stringify({ 'Fn::GetAtt': ['DataTable', 'Arn'] });
const INDEX = JSON.stringify({ 'Fn::Sub': '${DataTable.Arn}/index/pending-alerts' });

interface Request {
  action: string;
  resource: 'table' | 'index';
  /** The partition keys the request names (none for a Scan). */
  leadingKeys: string[];
}

const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);

/** IAM's answer for our statements' subset: Allow with an optional ForAllValues:StringLike on LeadingKeys. */
function allowed(policy: Statement[], r: Request): boolean {
  return policy.some((s) => {
    if (s.Effect !== 'Allow' || !list(s.Action).includes(`dynamodb:${r.action}`)) return false;
    const resources = list(s.Resource).map((x) => JSON.stringify(x));
    if (!resources.includes(r.resource === 'table' ? TABLE : INDEX)) return false;
    for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
      for (const [key, values] of Object.entries(keys)) {
        if (operator !== 'ForAllValues:StringLike' || key !== 'dynamodb:LeadingKeys')
          throw new Error(`unexpected condition ${operator} ${key}`);
        // ForAllValues is true of an empty set: a statement with the condition must only list actions that name keys.
        if (!r.leadingKeys.length) return false;
        if (!r.leadingKeys.every((k) => list(values).some((v) => glob(v).test(k)))) return false;
      }
    }
    return true;
  });
}

const leadingKeysOf = (policy: Statement[]): string[] =>
  policy.flatMap((s) => list(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'])).sort();

const prefixes = (...families: Array<keyof typeof PK_PREFIX>) => families.map((f) => `${PK_PREFIX[f]}*`).sort();

describe('table access per function (dynamodb:LeadingKeys)', () => {
  const windows = statements('windows', 'WindowsRole');
  const hotspots = statements('hotspots', 'HotspotsRole');
  const alerts = statements('alerts', 'AlertsRole');

  it('conditions every item-level statement on pk prefixes taken from shared/store/keys.ts', () => {
    expect([...new Set(leadingKeysOf(windows))].sort()).toEqual(prefixes('window', 'model', 'registry', 'record', 'recordSummary', 'carry'));
    expect([...new Set(leadingKeysOf(hotspots))].sort()).toEqual(prefixes('hotspots', 'hotspotsState'));
    expect([...new Set(leadingKeysOf(alerts))].sort()).toEqual(prefixes(...ALERTABLE_FAMILIES, 'cooldown'));
    for (const [fn, policy] of Object.entries({ windows, hotspots, alerts })) {
      const onTable = policy.filter(
        (s) => list(s.Action).some((a) => a.startsWith('dynamodb:')) && list(s.Resource).some((x) => JSON.stringify(x) === TABLE),
      );
      expect(onTable.length).toBeGreaterThan(0);
      for (const s of onTable)
        expect([fn, s.Sid, s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']]).toEqual([fn, s.Sid, expect.any(Array)]);
    }
  });

  it('grants every item family of shared/store/keys.ts to some function (a new family needs its statement)', () => {
    const granted = new Set([windows, hotspots, alerts].flatMap(leadingKeysOf));
    expect(Object.values(PK_PREFIX).filter((p) => !granted.has(`${p}*`))).toEqual([]);
  });

  it('lets the stream functions reach their own items and no one else’s', () => {
    const req = (action: string, pk: string): Request => ({ action, resource: 'table', leadingKeys: [pk] });
    for (const pk of [windowPk('toll', '183A'), modelPk('toll', '183A'), registryPk('toll')]) {
      expect([pk, allowed(windows, req('UpdateItem', pk)), allowed(hotspots, req('UpdateItem', pk))]).toEqual([pk, true, false]);
    }
    for (const pk of [hotspotsPk('pickups'), hotspotsStatePk('pickups')]) {
      expect([pk, allowed(hotspots, req('PutItem', pk)), allowed(windows, req('PutItem', pk))]).toEqual([pk, true, false]);
    }
    expect(allowed(windows, { action: 'BatchGetItem', resource: 'table', leadingKeys: [modelPk('a', '1'), modelPk('b', '2')] })).toBe(true);
    expect(allowed(windows, { action: 'BatchGetItem', resource: 'table', leadingKeys: [modelPk('a', '1'), cooldownPk('a', '1')] })).toBe(
      false,
    );
    for (const policy of [windows, hotspots]) expect(allowed(policy, req('PutItem', cooldownPk('toll', '183A')))).toBe(false);
    // Per-record results: batches, and a record that is owed an alert put alone (conditionally).
    const record = `${PER_RECORD_PK.anomaly}counts#S1`;
    expect(allowed(windows, req('BatchWriteItem', record))).toBe(true);
    expect(allowed(windows, req('PutItem', record))).toBe(true);
    expect(allowed(windows, req('PutItem', `${PER_RECORD_PK.summary}counts#S1`))).toBe(true);
    expect(allowed(hotspots, req('PutItem', record))).toBe(false);
  });

  it('lets the alerts function claim window, hotspot and per-record items and keep cooldowns, and nothing else', () => {
    const req = (action: string, pk: string): Request => ({ action, resource: 'table', leadingKeys: [pk] });
    expect(allowed(alerts, req('UpdateItem', windowPk('toll', '183A')))).toBe(true);
    expect(allowed(alerts, req('UpdateItem', hotspotsPk('pickups')))).toBe(true);
    expect(allowed(alerts, req('UpdateItem', `${PER_RECORD_PK.anomaly}counts#S1`))).toBe(true);
    expect(allowed(alerts, req('PutItem', `${PER_RECORD_PK.anomaly}counts#S1`))).toBe(false);
    expect(allowed(alerts, req('UpdateItem', `${PER_RECORD_PK.summary}counts#S1`))).toBe(false);
    expect(allowed(alerts, req('PutItem', windowPk('toll', '183A')))).toBe(false);
    expect(allowed(alerts, req('DeleteItem', windowPk('toll', '183A')))).toBe(false);
    expect(allowed(alerts, req('UpdateItem', modelPk('toll', '183A')))).toBe(false);
    expect(allowed(alerts, req('GetItem', hotspotsStatePk('pickups')))).toBe(false);
    expect(allowed(alerts, req('DeleteItem', cooldownPk('toll', '183A')))).toBe(true);
    // The index is read with Scan only: a Query would be checked against pendingAlert values (detector names).
    expect(allowed(alerts, { action: 'Scan', resource: 'index', leadingKeys: [] })).toBe(true);
    expect(alerts.some((s) => list(s.Action).includes('dynamodb:Query'))).toBe(false);
    expect(allowed(alerts, { action: 'Scan', resource: 'table', leadingKeys: [] })).toBe(false);
  });

  describe('every request of a real alerts run', () => {
    let h: AlertsHarness;
    beforeAll(async () => {
      h = await startAlertsHarness();
    });
    afterAll(async () => {
      await h.close();
    });

    it('is allowed by the alerts role (claims, skips, cooldown open/hold/restore/confirm, the index scan)', async () => {
      const requests: Request[] = [];
      const low = new DynamoDBClient({
        endpoint: h.db.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const record: BuildMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
        const input = args.input as { Key?: Record<string, unknown>; Item?: Record<string, unknown>; IndexName?: string };
        const pk = (input.Key ?? input.Item)?.pk as { S?: string } | string | undefined;
        requests.push({
          action: String(context.commandName).replace(/Command$/, ''),
          resource: input.IndexName ? 'index' : 'table',
          leadingKeys: pk === undefined ? [] : [typeof pk === 'string' ? pk : pk.S!],
        });
        return next(args);
      };
      low.middlewareStack.add(record, { step: 'build', name: 'recordRequests' });
      const client = DynamoDBDocumentClient.from(low, { marshallOptions: { removeUndefinedValues: true } });
      try {
        const run = () => h.runner({ documentClient: client, cooldownSeconds: 900, pageSize: 2 })();
        await h.put([
          windowItem({ key: '183A', startMs: T0, score: 4 }),
          windowItem({ key: 'low', startMs: T0, score: 1 }),
          {
            pk: hotspotsPk('pickups'),
            sk: new Date(T0).toISOString(),
            type: 'hotspots',
            threshold: 4,
            hotspots: [{ density: 5 }],
            pendingAlert: 'pickups',
          },
          {
            pk: `${PER_RECORD_PK.anomaly}counts#S1`,
            sk: `${new Date(T0).toISOString()}#1#0`,
            type: 'record',
            detector: 'counts',
            key: 'S1',
            time: new Date(T0).toISOString(),
            score: 3.1,
            threshold: 2.5,
            features: { vehicle_count: 400 },
            pendingAlert: 'counts',
          },
        ]);
        await run(); // claims, a skip, three cooldowns opened and confirmed
        h.clock.now += 60_000;
        await h.put([windowItem({ key: '183A', startMs: T0 + 10_000, score: 4.1 })]);
        await run(); // held back by the cooldown
        h.clock.now += 900_000;
        await h.put([windowItem({ key: '183A', startMs: T0 + 20_000, score: 4.2 })]);
        h.failNextPublishes.push(Object.assign(new Error('throttled'), { name: 'ThrottledException' }));
        await expect(run()).rejects.toThrow('could not be published'); // cooldown restored, items released
      } finally {
        client.destroy();
      }
      const kinds = new Set(requests.map((r) => `${r.action} ${r.resource}`));
      expect([...kinds].sort()).toEqual(['GetItem table', 'PutItem table', 'Scan index', 'UpdateItem table']);
      const refused = requests.filter((r) => !allowed(alerts, r));
      expect(refused).toEqual([]);
    });
  });
});
