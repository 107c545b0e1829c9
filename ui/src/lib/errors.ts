// Turns IpcErrors into text for the user, by code (never by message text).
import { hasKey, t } from './i18n';
import type { IpcError } from './types';

export function errorText(err: IpcError): string {
  if (err.code === 'invalid') return invalidText(err);
  const key = `err.code.${err.code}`;
  if (hasKey(key)) return t(key, { message: err.message });
  return t('err.code.unknown', { message: err.message });
}

/** A validation error: a localised text for the fields we know, else the core's words. */
export function invalidText(err: IpcError): string {
  const field = (err.field ?? '').toLowerCase();
  const msg = err.message.toLowerCase();
  const tooLong = /longer than (\d+)/.exec(msg);
  if (tooLong) return t('err.too_long', { max: tooLong[1] });
  if (msg.includes('control characters')) return t('err.control_chars');
  switch (field) {
    case 'email':
    case 'emails':
      if (msg.includes('no email address')) return t('err.no_email');
      return t('err.email');
    case 'phone':
    case 'phones':
      return t('err.phone');
    case 'birthday':
      if (msg.includes('future')) return t('err.birthday_future');
      if (msg.includes('1900')) return t('err.birthday_old');
      return t('err.birthday');
    case 'name':
    case 'given_name':
    case 'family_name':
      if (msg.includes('given or a family name')) return t('err.name_required');
      break;
    case 'language':
      return t('err.language');
    case 'salutation':
      return t('err.salutation');
    case 'passphrase':
      if (msg.includes('10 characters')) return t('err.passphrase_short');
      break;
    case 'user name':
      return t('err.user_name');
    case 'summary':
      return t('err.summary_required');
    case 'at':
      if (msg.includes('future')) return t('err.consent_future');
      return t('err.datetime');
    case 'key':
      if (msg.includes('exists already')) return t('err.purpose_key_taken');
      return t('err.purpose_key');
    case 'name_de':
    case 'name_en':
      return t('err.purpose_name');
    case 'categories':
      return t('err.purpose_categories');
    case 'consent_required':
      return t('err.purpose_consent');
    case 'validity_months':
      return t('err.purpose_validity');
    case 'purpose':
      if (msg.includes('to withdraw')) return t('err.nothing_to_withdraw');
      break;
    case 'source':
      return t('err.source');
    case 'sources':
      if (msg.includes('at least one')) return t('err.sources_empty');
      return t('err.source_name');
    case 'evidence_file':
      if (msg.includes('20 mb')) return t('err.evidence_file_size');
      return t('err.evidence_file_read');
    case 'channel':
      return t('err.channel');
    case 'smtp':
      if (msg.includes('password')) return t('err.smtp_password');
      return t('err.no_smtp');
    case 'token':
      if (msg.includes('no confirmation code')) return t('err.token_missing');
      if (msg.includes('unknown')) return t('err.token_unknown');
      if (msg.includes('already confirmed')) return t('err.token_confirmed');
      if (msg.includes('replaced')) return t('err.token_replaced');
      if (msg.includes('30 days')) return t('err.token_old');
      break;
    case 'host':
      return t('err.smtp_host');
    case 'port':
      return t('err.smtp_port');
    case 'from':
      return t('err.smtp_from');
    case 'received':
      if (msg.includes('future')) return t('err.received_future');
      return t('err.received');
    case 'reason':
      if (msg.includes('data was wrong')) return t('err.rectify_reason');
      if (msg.includes('12(3)')) return t('err.reason_required');
      break;
    case 'request':
      if (msg.includes('already extended')) return t('err.request_extended');
      if (msg.includes('closed')) return t('err.request_closed');
      if (msg.includes('another person')) return t('err.request_other_person');
      if (msg.includes('is not a') || msg.includes('not for erasure')) return t('err.request_kind');
      break;
    case 'contact':
      if (msg.includes('already restricted')) return t('err.already_restricted');
      if (msg.includes('not restricted')) return t('err.not_restricted');
      break;
    case 'text':
      return t('err.verify_text');
    case 'rotation':
      return t('err.backup_rotation');
    case 'folder':
      if (msg.includes("vault's own folder")) return t('err.backup_in_vault');
      if (msg.includes('contain the vault')) return t('err.backup_holds_vault');
      if (msg.includes('backup folder must not be the team')) return t('err.backup_in_shared');
      break;
  }
  return t('err.field_generic', { message: err.message });
}
