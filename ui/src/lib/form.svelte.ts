// The submission pattern the forms share: a busy flag, field errors shown
// next to their input (the first one gets the focus), any other error for the
// ErrorBox, and Escape to cancel.
import { tick } from 'svelte';
import { toIpcError } from './backend';
import { errorText } from './errors';
import type { IpcError } from './types';

export type FieldErrors<F extends string> = Partial<Record<F, string>>;

export interface FormOptions<F extends string> {
  /** The fields in the order they appear; the first with an error gets the focus. */
  fields: readonly F[];
  /** Ids are `${prefix}-${field}` for inputs, `${prefix}-${field}-hint` for hints. */
  prefix: string;
  /** Ids of the field errors are `${errorPrefix}-${field}`. */
  errorPrefix: string;
  /** The element to focus for a field, when it is not `${prefix}-${field}`. */
  inputId?: (f: F) => string;
  /** Error codes from the core that belong next to a field. */
  fieldCodes?: readonly string[];
}

export interface Submission<F extends string, T> {
  /** Checks in the UI before anything is sent; field errors stop the submission. */
  check?: () => FieldErrors<F>;
  /** Calls the backend. */
  save: () => Promise<T>;
  /** Runs after a successful save, once the form is no longer busy. */
  saved?: (result: T) => void;
}

/** Escape cancels a form (keyboard-first), unless it is busy. */
export function cancelOnEscape(e: KeyboardEvent, busy: boolean, onCancel: () => void): void {
  if (e.key === 'Escape' && !busy) {
    e.preventDefault();
    e.stopPropagation();
    onCancel();
  }
}

export class Form<F extends string> {
  errors = $state<FieldErrors<F>>({});
  error = $state<IpcError | null>(null);
  busy = $state(false);
  readonly #o: FormOptions<F>;

  constructor(options: FormOptions<F>) {
    this.#o = options;
  }

  /** The ids describing a field: its hint, if it has one, and its error, if it has one. */
  describedBy(f: F, hint = false): string | undefined {
    const ids = [hint ? `${this.#o.prefix}-${f}-hint` : '', this.errors[f] ? `${this.#o.errorPrefix}-${f}` : ''].filter((x) => x);
    return ids.length > 0 ? ids.join(' ') : undefined;
  }

  /** aria-invalid and aria-describedby of a field's input, to spread onto it. */
  aria(f: F, hint = false): { 'aria-invalid': 'true' | undefined; 'aria-describedby': string | undefined } {
    return { 'aria-invalid': this.errors[f] ? 'true' : undefined, 'aria-describedby': this.describedBy(f, hint) };
  }

  async focusFirstError(): Promise<void> {
    await tick();
    const f = this.#o.fields.find((n) => this.errors[n]);
    if (f) document.getElementById(this.#o.inputId ? this.#o.inputId(f) : `${this.#o.prefix}-${f}`)?.focus();
  }

  async submit<T>(ev: SubmitEvent, s: Submission<F, T>): Promise<void> {
    ev.preventDefault();
    if (this.busy) return;
    this.error = null;
    if (s.check) {
      this.errors = s.check();
      if (Object.keys(this.errors).length > 0) {
        await this.focusFirstError();
        return;
      }
    }
    this.busy = true;
    let result: T;
    try {
      result = await s.save();
    } catch (e) {
      const err = toIpcError(e);
      this.busy = false;
      const field = this.#o.fields.find((f) => f === err.field);
      if (field && (this.#o.fieldCodes ?? ['invalid']).includes(err.code)) {
        this.errors = { [field]: errorText(err) } as FieldErrors<F>;
        await this.focusFirstError();
      } else {
        this.error = err;
      }
      return;
    }
    this.busy = false;
    s.saved?.(result);
  }

  /** A keydown handler for the form: Escape cancels it. */
  cancelOnEscape(onCancel: () => void): (e: KeyboardEvent) => void {
    return (e) => cancelOnEscape(e, this.busy, onCancel);
  }
}
