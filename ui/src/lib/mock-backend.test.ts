import { describe, expect, it } from 'vitest';
import { MockBackend, sessionFor } from './mock-backend';

const PASS = 'passphrase-123';

function vault(people = 1000) {
  return new MockBackend({
    users: [
      { name: 'anna', role: 'admin', passphrase: PASS },
      { name: 'carl', role: 'agent', passphrase: PASS },
      { name: 'ida', role: 'auditor', passphrase: PASS },
    ],
    people,
  });
}

describe('MockBackend', () => {
  it('knows the roles like the core', () => {
    expect(sessionFor('a', 'admin').readable).toHaveLength(12);
    expect(sessionFor('c', 'agent').readable).not.toContain('notes');
    expect(sessionFor('s', 'sales').readable).toContain('deal');
    expect(sessionFor('s', 'sales').readable).not.toContain('special');
    expect(sessionFor('i', 'auditor').may_write).toBe(false);
    expect(sessionFor('i', 'auditor').may_view_history).toBe(true);
    expect(sessionFor('d', 'dpo').may_manage_users).toBe(false);
  });

  it('pages through people sorted by family name', async () => {
    const b = vault();
    await b.unlock('anna', PASS);
    const a = await b.listContacts(0, 400);
    const c = await b.listContacts(400, 1000);
    expect(a.total).toBe(1000);
    expect(a.rows).toHaveLength(400);
    expect(c.rows).toHaveLength(600);
    const all = [...a.rows, ...c.rows];
    expect(new Set(all.map((r) => r.id)).size).toBe(1000);
    const family = (r: { display: string }) => r.display.split(' ').at(-1) ?? '';
    const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    for (let i = 1; i < all.length; i++) expect(fold(family(all[i - 1])) <= fold(family(all[i]))).toBe(true);
  });

  it('searches by word prefix, with companies first', async () => {
    const b = vault();
    await b.unlock('anna', PASS);
    const rows = await b.searchContacts('mül', 50);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(`${r.display} ${r.company} ${r.email}`.toLowerCase()).toMatch(/(^|[^a-zäöü])(mül|mul)/);
    expect(await b.searchContacts('   ', 50)).toEqual([]);
    expect(await b.searchContacts('üller', 50)).toEqual([]);
  });

  it('validates like the core and names the field', async () => {
    const b = vault(0);
    await b.unlock('anna', PASS);
    await expect(b.addContact([{ field: 'note', values: ['x'] }])).rejects.toMatchObject({ code: 'invalid', field: 'name' });
    await expect(
      b.addContact([
        { field: 'family_name', values: ['X'] },
        { field: 'emails', values: ['nope'] },
      ]),
    ).rejects.toMatchObject({ code: 'invalid', field: 'email' });
    await expect(
      b.addContact([
        { field: 'family_name', values: ['X'] },
        { field: 'birthday', values: ['2020-02-30'] },
      ]),
    ).rejects.toMatchObject({ code: 'invalid', field: 'birthday' });
    await expect(
      b.addContact([
        { field: 'family_name', values: ['X'.repeat(501)] },
      ]),
    ).rejects.toMatchObject({ code: 'invalid', field: 'family_name' });
    await expect(b.addContact([{ field: 'shoe_size', values: ['44'] }])).rejects.toMatchObject({ field: 'shoe_size' });
  });

  it('locks fields for an agent, refuses an auditor, and appends history', async () => {
    const b = vault(0);
    await b.unlock('anna', PASS);
    const id = await b.addContact([
      { field: 'family_name', values: ['Muster'] },
      { field: 'note', values: ['private'] },
    ]);
    await b.editContact(id, [{ field: 'given_name', values: ['Max'] }]);
    const history = await b.contactHistory(id);
    expect(history.map((h) => h.field)).toEqual(['', 'family_name', 'note', 'given_name']);

    await b.unlock('carl', PASS);
    const view = await b.getContact(id);
    expect(view.fields.find((f) => f.name === 'note')?.value).toEqual({
      state: 'locked',
      reason: "your role 'agent' holds no key for the category 'Notes'",
    });
    await expect(b.editContact(id, [{ field: 'note', values: ['x'] }])).rejects.toMatchObject({
      code: 'compartment_locked',
      field: 'note',
    });

    await b.unlock('ida', PASS);
    await expect(b.editContact(id, [{ field: 'given_name', values: ['Y'] }])).rejects.toMatchObject({ code: 'forbidden' });
    await expect(b.unlock('ida', 'wrong')).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await expect(b.listContacts(0, 1)).rejects.toMatchObject({ code: 'locked' });
  });

  it('manages users with the core\'s rules', async () => {
    const b = vault(0);
    await b.unlock('anna', PASS);
    await expect(b.addUser('anna', 'sales', PASS)).rejects.toMatchObject({ code: 'user_exists' });
    await expect(b.addUser('x y', 'sales', PASS)).rejects.toMatchObject({ code: 'invalid', field: 'user name' });
    await expect(b.addUser('sam', 'sales', 'short')).rejects.toMatchObject({ code: 'invalid', field: 'passphrase' });
    await expect(b.removeUser('anna')).rejects.toMatchObject({ code: 'last_admin' });
    await b.addUser('sam', 'sales', PASS);
    await b.unlock('sam', PASS);
    await expect(b.listUsers()).resolves.toHaveLength(4);
    await expect(b.removeUser('carl')).rejects.toMatchObject({ code: 'forbidden' });
  });
});
