// The wrappers the window puts around the backend, over the real core.
import { describe, expect, it, vi } from 'vitest';
import { guardLocked, notifyChanges } from '../lib/backend';
import { PASS, useServer } from './server';

const server = useServer();

describe('guardLocked', () => {
  it('reports a `locked` error once per call and passes the error on', async () => {
    const backend = await server.vault([['a', 'admin']]);
    const onLocked = vi.fn();
    const guarded = guardLocked(backend, onLocked);
    await expect(guarded.listContacts(0, 10)).rejects.toMatchObject({ code: 'locked' });
    expect(onLocked).toHaveBeenCalledTimes(1);
    await expect(guarded.unlock('a', 'wrong passphrase')).rejects.toMatchObject({ code: 'wrong_passphrase' });
    expect(onLocked).toHaveBeenCalledTimes(1);
    await guarded.unlock('a', PASS);
    expect((await guarded.listContacts(0, 10)).total).toBe(0);
  });
});

describe('notifyChanges', () => {
  it('reports each change that succeeded, and no read or failed change', async () => {
    const backend = await server.vault([['a', 'admin']]);
    const onChange = vi.fn();
    const b = notifyChanges(backend, onChange);
    await b.unlock('a', PASS);
    await b.listContacts(0, 10);
    await b.syncStatus();
    expect(onChange).not.toHaveBeenCalled();
    await b.addContact([{ field: 'given_name', values: ['Ada'] }]);
    expect(onChange).toHaveBeenCalledTimes(1);
    await expect(b.addContact([{ field: 'emails', values: ['not an address'] }])).rejects.toMatchObject({ code: 'invalid' });
    expect(onChange).toHaveBeenCalledTimes(1);
    await b.addHold((await b.listContacts(0, 1)).rows[0].id, 'Klage');
    expect(onChange).toHaveBeenCalledTimes(2);
  });
});
