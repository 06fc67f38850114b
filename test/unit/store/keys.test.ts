import {
  COOLDOWN_SK,
  MODEL_SK,
  PK_PREFIX,
  alertableFamily,
  cooldownPk,
  hotspotsPk,
  hotspotsStatePk,
  modelPk,
  parseCooldownPk,
  parseHotspotsPk,
  parseModelPk,
  parsePk,
  parseWindowPk,
  registryPk,
  windowPk,
  windowSk,
} from '../../../shared/store/keys';

describe('table keys', () => {
  it('formats each item family as docs/data-model.md lists it', () => {
    expect(windowPk('toll', '183A')).toBe('W#toll#183A');
    expect(modelPk('toll', '183A')).toBe('M#toll#183A');
    expect(registryPk('toll')).toBe('R#toll');
    expect(hotspotsPk('pickups')).toBe('H#pickups');
    expect(hotspotsStatePk('pickups')).toBe('HS#pickups');
    expect(cooldownPk('toll', '183A')).toBe('C#toll#183A');
    expect([MODEL_SK, COOLDOWN_SK]).toEqual(['MODEL', 'COOLDOWN']);
    expect(windowSk(Date.UTC(2026, 0, 1))).toBe('2026-01-01T00:00:00.000Z');
  });

  it('reads every pk it makes back to the same family, detector and key (keys may hold #)', () => {
    const cases = [
      [windowPk('web', '/a#b'), { family: 'window', detector: 'web', key: '/a#b' }],
      [modelPk('toll', 'k#'), { family: 'model', detector: 'toll', key: 'k#' }],
      [cooldownPk('pickups', '*'), { family: 'cooldown', detector: 'pickups', key: '*' }],
      [registryPk('toll'), { family: 'registry', detector: 'toll' }],
      [hotspotsPk('pickups'), { family: 'hotspots', detector: 'pickups' }],
      [hotspotsStatePk('pickups'), { family: 'hotspotsState', detector: 'pickups' }],
    ] as const;
    for (const [pk, expected] of cases) expect(parsePk(pk)).toEqual({ pk, ...expected });
  });

  it('rejects pks this layout does not make', () => {
    for (const pk of ['', 'W#', 'W#toll', 'W#toll#', 'W##key', 'X#toll#k', 'H#', 'H#a#b', 'COOLDOWN']) expect(parsePk(pk)).toBeUndefined();
  });

  it('parses one family only with the family parsers', () => {
    expect(parseWindowPk('W#toll#183A')).toMatchObject({ detector: 'toll', key: '183A' });
    expect(parseWindowPk('M#toll#183A')).toBeUndefined();
    expect(parseModelPk('M#toll#183A')).toMatchObject({ detector: 'toll', key: '183A' });
    expect(parseCooldownPk('C#toll#183A')).toMatchObject({ key: '183A' });
    expect(parseHotspotsPk('H#pickups')).toMatchObject({ detector: 'pickups' });
    expect(parseHotspotsPk('HS#pickups')).toBeUndefined();
  });

  it('names only window and hotspot items as alertable', () => {
    expect(alertableFamily('W#toll#1')).toBe('window');
    expect(alertableFamily('H#pickups')).toBe('hotspots');
    expect(alertableFamily('HS#pickups')).toBeUndefined();
    expect(alertableFamily('C#toll#1')).toBeUndefined();
  });

  it('gives each family its own prefix', () => {
    const prefixes = Object.values(PK_PREFIX);
    expect(new Set(prefixes).size).toBe(prefixes.length);
  });
});
