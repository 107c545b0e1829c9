import { describe, expect, it } from 'vitest';
import { formFieldsFor } from './fields';
import { folderProblem, isEmail, joinProblems, passphraseStrength, splitAddresses, splitList } from './validate';

describe('validation', () => {
  it('checks emails like the core', () => {
    expect(isEmail('anna@example.de')).toBe(true);
    expect(isEmail('a@b.c')).toBe(true);
    for (const bad of ['', 'anna', '@example.de', 'anna@example', 'anna@.de', 'anna@de.', 'a b@c.de', 'a@b@c.de']) {
      expect(isEmail(bad), bad).toBe(false);
    }
  });

  it('splits lists and addresses', () => {
    expect(splitList(' a, b;c ,, ')).toEqual(['a', 'b', 'c']);
    expect(splitAddresses('Weg 1\r\n12345 Ort\r\n\r\n  \nAllee 2\n 54321 Stadt \n')).toEqual([
      'Weg 1\n12345 Ort',
      'Allee 2\n54321 Stadt',
    ]);
  });

  it('rates passphrases', () => {
    expect(passphraseStrength('')).toBe(0);
    expect(passphraseStrength('123456789')).toBe(0);
    expect(passphraseStrength('aaaaaaaaaaaa')).toBe(1);
    expect(passphraseStrength('password123')).toBeLessThanOrEqual(2);
    expect(passphraseStrength('Kerze Fahrrad Wolke Tinte 42!')).toBe(4);
  });

  it('maps the core\'s field names to form inputs', () => {
    expect(formFieldsFor('email')).toEqual(['emails']);
    expect(formFieldsFor('phone')).toEqual(['phones']);
    expect(formFieldsFor('name')).toEqual(['given_name', 'family_name']);
    expect(formFieldsFor('family_name')).toEqual(['family_name']);
    expect(formFieldsFor('edit')).toEqual([]);
    expect(formFieldsFor(null)).toEqual([]);
  });

  it('wants a full path for a shared folder', () => {
    for (const ok of ['/home/anna/Nextcloud/Tresor', 'C:\\Users\\anna\\Tresor', 'D:/Team', '\\\\server\\team', ' /srv/team ']) {
      expect(folderProblem(ok), ok).toBeNull();
    }
    expect(folderProblem('  ')).toBe('err.dir_required');
    for (const bad of ['Nextcloud/Tresor', './team', '~/Tresor', 'C:team']) {
      expect(folderProblem(bad), bad).toBe('err.dir_absolute');
    }
  });

  it('checks the join form', () => {
    expect(joinProblems('', '', '')).toEqual({ folder: 'err.dir_required', user: 'err.user_required', pass: 'err.passphrase_required' });
    // The user name's form is the core's to judge.
    expect(joinProblems('/srv/team', 'ben tester', 'x')).toEqual({});
    expect(joinProblems('/srv/team', ' ben ', 'any passphrase')).toEqual({});
  });
});
