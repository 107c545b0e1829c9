import { describe, expect, it } from 'vitest';
import { MockBackend } from './mock-backend';
import { dueCount, sortRequests } from './rights';

const PASS = 'passphrase-123';

function vault(now: string) {
  let clock = new Date(now);
  const b = new MockBackend({
    users: [
      { name: 'anna', role: 'admin', passphrase: PASS },
      { name: 'dora', role: 'dpo', passphrase: PASS },
      { name: 'ida', role: 'auditor', passphrase: PASS },
      { name: 'carl', role: 'agent', passphrase: PASS },
    ],
    now: () => clock,
  });
  return { b, setNow: (iso: string) => (clock = new Date(iso)) };
}

const req = (kind: 'access' | 'erasure' | 'restriction' | 'objection', person: string | null, received: string) => ({
  kind,
  person,
  received,
  identity_check: null,
});

describe('mock rights', () => {
  it('computes deadlines (one month, three after the one extension) and overdue / due soon from its clock', async () => {
    const { b, setNow } = vault('2026-01-31T12:00:00Z');
    await b.unlock('dora', PASS);
    const r = await b.openRequest(req('access', null, '2026-01-31'));
    expect(r.reference).toMatch(/^REQ-[0-9A-F]{8}$/);
    expect(r.deadline).toBe('2026-02-28');
    await expect(b.openRequest(req('access', null, '2026-02-01'))).rejects.toMatchObject({ code: 'invalid', field: 'received' });
    await expect(b.openRequest(req('access', 'nobody', '2026-01-01'))).rejects.toMatchObject({ code: 'not_found' });

    setNow('2026-02-21T08:00:00Z');
    let [row] = await b.listRequests();
    expect([row.overdue, row.due_soon]).toEqual([false, true]);
    setNow('2026-03-01T08:00:00Z');
    [row] = await b.listRequests();
    expect([row.overdue, row.due_soon]).toEqual([true, false]);

    await expect(b.extendRequest(r.reference, '  ')).rejects.toMatchObject({ code: 'invalid', field: 'reason' });
    expect((await b.extendRequest(r.reference.toLowerCase(), 'complex')).deadline).toBe('2026-04-30');
    await expect(b.extendRequest(r.reference, 'again')).rejects.toMatchObject({ code: 'invalid', field: 'request' });
    const closed = await b.closeRequest(r.reference, ' sent ');
    expect([closed.status, closed.outcome, closed.closed]).toEqual(['closed', 'sent', '2026-03-01T08:00:00.000Z']);
    await expect(b.closeRequest(r.reference, null)).rejects.toMatchObject({ code: 'invalid', field: 'request' });
    [row] = await b.listRequests();
    expect([row.overdue, row.due_soon]).toEqual([false, false]);

    await b.unlock('ida', PASS);
    expect(await b.listRequests()).toHaveLength(1);
    await expect(b.closeRequest(r.reference, null)).rejects.toMatchObject({ code: 'forbidden' });
    await b.unlock('carl', PASS);
    await expect(b.listRequests()).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('sorts open requests by deadline before closed ones and counts the due ones', () => {
    const row = (reference: string, deadline: string, status: 'open' | 'closed', overdue = false, due_soon = false) => ({
      request: {
        id: reference,
        reference,
        kind: 'access' as const,
        person: null,
        received: '2026-01-01',
        identity_check: null,
        deadline,
        extension_reason: null,
        status,
        opened_by: 'a',
        handled_by: 'a',
        closed: null,
        outcome: null,
      },
      overdue,
      due_soon,
      extended_deadline: null,
    });
    const rows = [row('C', '2026-01-01', 'closed'), row('B', '2026-05-01', 'open'), row('A', '2026-02-01', 'open', true), row('D', '2026-03-01', 'open', false, true)];
    expect(sortRequests(rows).map((r) => r.request.reference)).toEqual(['A', 'D', 'B', 'C']);
    expect(dueCount(rows)).toBe(2);
  });

  it('restriction blocks edits; erasure removes the person and everything of theirs; verify counts what remains', async () => {
    const { b } = vault('2026-03-10T10:00:00Z');
    const id = b.seedPerson({ given_name: 'Erika', family_name: 'Mustermann', emails: ['erika@example.de'] }, [{ company: 'Beispiel AG', role: null }], [
      { kind: 'call', at: '2026-02-01T10:00:00Z', by: 'anna', summary: 'Anruf', text: null },
    ]);
    await b.unlock('anna', PASS);
    await b.giveConsent(id, { purpose: 'e-marketing', channel: 'email', source: 'web_form', evidence: null, basis: null, at: null });
    const access = await b.openRequest(req('access', id, '2026-03-01'));
    const restriction = await b.openRequest(req('restriction', id, '2026-03-01'));
    await expect(b.restrictContact(id, access.reference)).rejects.toMatchObject({ code: 'invalid', field: 'request' });
    await b.restrictContact(id, restriction.reference);
    expect(await b.contactRestriction(id)).toMatchObject({ active: true, request: restriction.reference, by: 'anna' });
    await expect(b.restrictContact(id, restriction.reference)).rejects.toMatchObject({ code: 'invalid' });
    await expect(b.editContact(id, [{ field: 'family_name', values: ['X'] }])).rejects.toMatchObject({ code: 'restricted' });
    await expect(
      b.giveConsent(id, { purpose: 'e-marketing', channel: 'post', source: 'web_form', evidence: null, basis: null, at: null }),
    ).rejects.toMatchObject({ code: 'restricted' });
    await b.unrestrictContact(id);
    expect(await b.contactRestriction(id)).toBeNull();
    await expect(b.unrestrictContact(id)).rejects.toMatchObject({ code: 'invalid' });

    const preview = await b.previewPackage(id, 'en');
    expect(preview).toMatchObject({ display: 'Erika Mustermann', companies: 1, interactions: 1, consent_entries: 1, requests: 2, withheld: [] });
    await expect(b.releasePackage(id, 'en', 'en', null, 'short')).rejects.toMatchObject({ code: 'invalid', field: 'passphrase' });
    // Cancel in the save dialog: nothing is written or recorded.
    b.saveDialog = () => null;
    expect(await b.releasePackage(id, 'en', 'en', access.reference, null)).toBeNull();
    const suggested: string[] = [];
    b.saveDialog = (s) => {
      suggested.push(s);
      return '/media/usb/erika.zip';
    };
    const released = (await b.releasePackage(id, 'en', 'en', access.reference, null))!;
    expect(suggested).toEqual(['/exports/access-erika-mustermann-2026-03-10.zip']);
    expect(released.path).toBe('/media/usb/erika.zip');
    expect(released.release.file).toBe('erika.zip');
    expect(released.release).toMatchObject({ person: id, request: access.reference, encrypted: false, by: 'anna' });
    expect(released.release.sha256).toMatch(/^[0-9a-f]{64}$/);
    await b.unlock('ida', PASS);
    await expect(b.previewPackage(id, 'en')).rejects.toMatchObject({ code: 'forbidden' });
    await b.unlock('anna', PASS);

    const erasure = await b.openRequest(req('erasure', id, '2026-03-01'));
    await expect(b.eraseContact(id, access.reference, false)).rejects.toMatchObject({ code: 'invalid', field: 'request' });
    const report = await b.eraseContact(id, erasure.reference, true);
    // The person, the link, the interaction, the consent entry, two restriction entries and the release.
    expect(report).toMatchObject({ person: id, request: erasure.reference, records: 7 });
    expect(report.changes).toBeGreaterThan(3);
    await expect(b.getContact(id)).rejects.toMatchObject({ code: 'not_found' });
    expect(b.consentStore().entries.filter((e) => e.person === id)).toHaveLength(0);
    const check = await b.verifyErasure(['MUSTERMANN', 'erika@example.de', 'Beispiel AG']);
    const totals = [0, 1, 2].map((i) => check.places.reduce((n, p) => n + p.counts[i], 0));
    // The release record went with the person; the company stays.
    expect(totals).toEqual([0, 0, 1]);
    await expect(b.verifyErasure(['ab'])).rejects.toMatchObject({ code: 'invalid', field: 'text' });
    await expect(b.addContact([{ field: 'family_name', values: ['Neu'] }, { field: 'emails', values: ['Erika@Example.de'] }])).rejects.toMatchObject({
      code: 'suppressed',
    });
  });
});
