// Data-subject requests (Art. 15–21 GDPR) as the UI sees them: the kinds,
// who may see and handle them (flags of SessionInfo, set by the core's
// permission matrix), and the list order.
import type { RequestRow, SessionInfo } from './types';

export { REQUEST_KINDS } from './bindings/catalogue';

/** May see the requests: the core's permission matrix decides. */
export function maySeeRequests(session: SessionInfo): boolean {
  return session.may_view_requests;
}

/**
 * May handle requests, restrict, object, erase and release access packages:
 * the core's permission matrix decides.
 */
export function mayHandleRequests(session: SessionInfo): boolean {
  return session.may_handle_requests;
}

/** Open requests first, by deadline; then closed ones, newest deadline first. */
export function sortRequests(rows: RequestRow[]): RequestRow[] {
  return [...rows].sort((a, b) => {
    const ao = a.request.status === 'open' ? 0 : 1;
    const bo = b.request.status === 'open' ? 0 : 1;
    if (ao !== bo) return ao - bo;
    const cmp = a.request.deadline.localeCompare(b.request.deadline);
    return (ao === 0 ? cmp : -cmp) || a.request.reference.localeCompare(b.request.reference);
  });
}

/** How many open requests are overdue or due within the week. */
export function dueCount(rows: RequestRow[]): number {
  return rows.filter((r) => r.overdue || r.due_soon).length;
}

/** Today as `YYYY-MM-DD` in local time, for date inputs. */
export function localDateToday(now: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

