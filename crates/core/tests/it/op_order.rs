//! Applying ops is deterministic: any order, any duplication, same state.
//! This is the property sync will rest on.

use std::collections::BTreeMap;

use proptest::prelude::*;
use tresor_core::crypto::Key32;
use tresor_core::model::categories::RecordKind;
use tresor_core::ops::{CREATE_FIELD, Hlc, Op, OpValue};
use tresor_core::store::Store;
use uuid::Uuid;

const FIELDS: &[&str] = &["given_name", "family_name", "emails", "tags"];
const DEVICES: &[&str] = &["a", "b", "c"];

fn records() -> Vec<Uuid> {
    (1..=3u128).map(Uuid::from_u128).collect()
}

/// A random op on one of three records: (record, field, device, wall ms, value or clear).
fn arb_op() -> impl Strategy<Value = (usize, usize, usize, u64, Option<u8>)> {
    (
        0..3usize,
        0..FIELDS.len(),
        0..DEVICES.len(),
        0..20u64,
        proptest::option::of(any::<u8>()),
    )
}

fn build(raw: &[(usize, usize, usize, u64, Option<u8>)]) -> Vec<Op> {
    let recs = records();
    let mut ops: Vec<Op> = recs
        .iter()
        .map(|r| Op {
            id: Uuid::from_u128(r.as_u128() << 64),
            hlc: Hlc(0),
            device: "a".into(),
            author: "test".into(),
            record: *r,
            kind: RecordKind::Person,
            field: CREATE_FIELD.into(),
            value: OpValue::Open(format!("\"{r}\"")),
        })
        .collect();
    for (i, (rec, field, device, wall, value)) in raw.iter().enumerate() {
        ops.push(Op {
            // Distinct ids; equal (hlc, device) pairs are broken by the id.
            id: Uuid::from_u128(1_000 + i as u128),
            hlc: Hlc(wall << 16),
            device: DEVICES[*device].into(),
            author: "test".into(),
            record: recs[*rec],
            kind: RecordKind::Person,
            field: FIELDS[*field].into(),
            value: value.map_or(OpValue::Cleared, |v| OpValue::Open(format!("\"v{v}\""))),
        });
    }
    ops
}

fn state(store: &Store) -> BTreeMap<(Uuid, String), OpValue> {
    let mut out = BTreeMap::new();
    for r in records() {
        for (f, v) in store.fields(r).expect("fields") {
            out.insert((r, f), v);
        }
    }
    out
}

fn expected(ops: &[Op]) -> BTreeMap<(Uuid, String), OpValue> {
    let mut best: BTreeMap<(Uuid, String), &Op> = BTreeMap::new();
    for op in ops.iter().filter(|o| o.field != CREATE_FIELD) {
        let key = (op.record, op.field.clone());
        let wins = best.get(&key).is_none_or(|b| {
            (op.hlc, &op.device, op.id.to_string()) > (b.hlc, &b.device, b.id.to_string())
        });
        if wins {
            best.insert(key, op);
        }
    }
    best.into_iter()
        .map(|(k, op)| (k, op.value.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_order_and_duplication_gives_the_same_state(
        raw in proptest::collection::vec(arb_op(), 1..40),
        order in any::<u64>(),
        batch in 1usize..7,
    ) {
        let ops = build(&raw);
        let tmp = tempfile::tempdir().expect("tmp");
        let key = Key32::random();

        let mut in_order = Store::create(&tmp.path().join("a.db"), &key).expect("store a");
        in_order.apply(&ops, &[]).expect("apply");

        // Shuffled, duplicated, in several batches.
        let mut shuffled: Vec<Op> = ops.iter().chain(ops.iter().step_by(2)).cloned().collect();
        let mut rng = order;
        for i in (1..shuffled.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (rng >> 33) as usize % (i + 1));
        }
        let mut other = Store::create(&tmp.path().join("b.db"), &key).expect("store b");
        for chunk in shuffled.chunks(batch) {
            other.apply(chunk, &[]).expect("apply");
        }

        let a = state(&in_order);
        prop_assert_eq!(&a, &state(&other));
        prop_assert_eq!(a, expected(&ops));
    }
}
