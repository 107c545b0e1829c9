//! Backups as rules: how many are kept (the rotation), the names of their
//! files, and where a backup folder may not be.

use std::path::Path;

use chrono::{DateTime, Datelike as _, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// How many backups are kept: every one of the newest backup's day (one
/// taken by hand before a risky change stays beside the day's automatic
/// one), and the newest of each of the last `daily` days, `weekly` ISO
/// weeks and `monthly` months that have one. A backup may count for all
/// three; every other one is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rotation {
    /// Days.
    pub daily: u32,
    /// Weeks.
    pub weekly: u32,
    /// Months.
    pub monthly: u32,
}

impl Default for Rotation {
    fn default() -> Self {
        Rotation {
            daily: 7,
            weekly: 4,
            monthly: 12,
        }
    }
}

impl Rotation {
    /// Refuses a rotation that keeps nothing or keeps absurdly many.
    pub fn validate(&self) -> Result<(), String> {
        if self.daily == 0 {
            return Err("at least one daily backup must be kept".into());
        }
        if self.daily > 366 || self.weekly > 520 || self.monthly > 240 {
            return Err("keep at most 366 daily, 520 weekly and 240 monthly backups".into());
        }
        Ok(())
    }

    /// For backups taken at `times` (any order), whether each is kept.
    pub fn keep(&self, times: &[DateTime<Utc>]) -> Vec<bool> {
        let mut order: Vec<usize> = (0..times.len()).collect();
        order.sort_by(|a, b| times[*b].cmp(&times[*a]));
        let mut kept = vec![false; times.len()];
        if let Some(&newest) = order.first() {
            let today = times[newest].date_naive();
            for (i, t) in times.iter().enumerate() {
                kept[i] |= t.date_naive() == today;
            }
        }
        let mut pick = |limit: u32, bucket: &dyn Fn(DateTime<Utc>) -> (i32, u32)| {
            let mut seen = Vec::new();
            for &i in &order {
                let b = bucket(times[i]);
                if seen.contains(&b) {
                    continue;
                }
                if seen.len() as u32 >= limit {
                    break;
                }
                seen.push(b);
                kept[i] = true;
            }
        };
        pick(self.daily, &|t| (t.year(), t.ordinal()));
        pick(self.weekly, &|t| {
            let w = t.iso_week();
            (w.year(), w.week())
        });
        pick(self.monthly, &|t| (t.year(), t.month()));
        kept
    }
}

/// The name of the file of a backup taken at `at`.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("tresor-{}.tbk", at.format("%Y%m%d-%H%M%S-%3f"))
}

/// When the backup of a file name was taken; `None` for any other name
/// (the key file, a copy a sync client made, a temporary file).
pub fn taken_at(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix("tresor-")?.strip_suffix(".tbk")?;
    if stamp.len() != 19 {
        return None;
    }
    NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S-%3f")
        .ok()
        .map(|t| t.and_utc())
}

/// The name of the key file beside the backups.
pub const KEY_FILE: &str = "tresor-keys.tbk";

/// Why `folder` cannot hold backups of the vault in `vault` (both as the
/// file system resolves them), if it cannot: a backup inside the vault's
/// own folder goes with the laptop it should outlive, and one around it
/// would back the backups up.
pub fn folder_refusal(folder: &Path, vault: &Path, shared: Option<&Path>) -> Option<&'static str> {
    if folder.starts_with(vault) {
        return Some(
            "the backup folder must not be inside the vault's own folder: it would be lost with the laptop; choose a USB stick, a network share or another disk",
        );
    }
    if vault.starts_with(folder) {
        return Some(
            "the backup folder must not contain the vault itself; choose an empty folder on a USB stick, a network share or another disk",
        );
    }
    if shared.is_some_and(|s| folder.starts_with(s) || s.starts_with(folder)) {
        return Some(
            "the backup folder must not be the team's shared folder or inside it; choose a USB stick, a network share or another disk",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn day(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("test")
    }

    #[test]
    fn keeps_the_newest_of_each_day_week_and_month() {
        // Two a day for sixty days, from 2026-10-01.
        let mut times = Vec::new();
        for n in 0..60 {
            let d = day(2026, 10, 1, 9) + chrono::Duration::days(n);
            times.push(d);
            times.push(d + chrono::Duration::hours(8));
        }
        let kept = Rotation::default().keep(&times);
        let kept: Vec<DateTime<Utc>> = times
            .iter()
            .zip(&kept)
            .filter(|(_, k)| **k)
            .map(|(t, _)| *t)
            .collect();
        // The last seven days, each by its later backup, and the newest
        // day by both.
        let newest = *times.iter().max().expect("test");
        assert!(kept.contains(&(newest - chrono::Duration::hours(8))));
        for n in 1..7 {
            assert!(kept.contains(&(newest - chrono::Duration::days(n))));
            assert!(
                !kept.contains(&(newest - chrono::Duration::days(n) - chrono::Duration::hours(8)))
            );
        }
        // Three months had backups: October's newest is kept as a monthly.
        assert!(kept.contains(&day(2026, 10, 31, 17)));
        // Four weeks' newest: at most 7 + 4 + 3 in all, overlapping.
        assert!(kept.len() <= 15, "{}", kept.len());
        assert!(kept.len() >= 9, "{}", kept.len());
        // Nothing from early October but its month's last.
        assert!(!kept.iter().any(|t| t.month() == 10 && t.day() < 31));
    }

    #[test]
    fn a_single_backup_is_kept_and_nothing_keeps_nothing() {
        let t = [day(2026, 1, 1, 1)];
        assert_eq!(Rotation::default().keep(&t), vec![true]);
        assert!(
            Rotation {
                daily: 0,
                weekly: 4,
                monthly: 12
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn names_round_trip_and_others_are_not_backups() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 5, 0, 35, 12)
            .single()
            .expect("test")
            + chrono::Duration::milliseconds(123);
        let name = file_name(at);
        assert_eq!(name, "tresor-20261205-003512-123.tbk");
        assert_eq!(taken_at(&name), Some(at));
        assert_eq!(taken_at(KEY_FILE), None);
        assert_eq!(taken_at("tresor-20261205-003512-123 (1).tbk"), None);
        assert_eq!(taken_at(".tresor-20261205-003512-123.tbk.x.tmp"), None);
    }

    #[test]
    fn a_folder_in_or_around_the_vault_or_the_team_folder_is_refused() {
        let v = Path::new("/home/a/.local/share/tresor");
        assert!(folder_refusal(Path::new("/home/a/.local/share/tresor/b"), v, None).is_some());
        assert!(folder_refusal(Path::new("/home/a"), v, None).is_some());
        assert!(folder_refusal(Path::new("/media/stick/tresor"), v, None).is_none());
        let shared = Path::new("/home/a/Nextcloud/team");
        assert!(folder_refusal(Path::new("/home/a/Nextcloud/team/b"), v, Some(shared)).is_some());
        assert!(folder_refusal(Path::new("/media/stick"), v, Some(shared)).is_none());
    }
}
