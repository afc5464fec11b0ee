//! The embedding API's values and handles: every Kite type that can cross the host
//! boundary crosses (maps in insertion order, structs by field name, optionals, nested
//! arrays), closures are refused, integers convert exactly, typed handles check their
//! signature once, host closures reach the store's data through their `Caller`, serde
//! values convert with errors that name the path, and `eval` evaluates one expression.

use indexmap::IndexMap;
use kite::{
    Caller, Capabilities, Engine, EngineExt, Error, Instance, InterruptHandle, Limits, Linker, Module, Serde, Store,
    Val,
};
use std::collections::{BTreeMap, HashMap};

const SCRIPT: &str = r#"
struct User { name: str, age: int, email: str? }
struct Team { name: str, members: [User], scores: {str: int} }

fn counts(words: [str]) -> {str: int} {
    let m: {str: int} = {};
    for w in words { m[w] = (m.get(w) ?? 0) + 1; }
    return m;
}
fn team() -> Team {
    return Team { name: "core", members: [User { name: "ann", age: 7, email: nil },
        User { name: "bo", age: 9, email: "bo@x" }], scores: {"z": 1, "a": 2} };
}
fn oldest(t: Team) -> str {
    var best = t.members[0];
    for u in t.members { if u.age > best.age { best = u; } }
    return best.name;
}
fn grid(n: int) -> [[int?]] {
    let rows: [[int?]] = [];
    for i in 0..n { rows.push([i, nil]); }
    return rows;
}
fn adder(k: int) -> fn(int) -> int { return fn(x: int) -> int { return x + k; }; }
fn add(a: int, b: int) -> int { return a + b; }
fn nop() {}
fn half(x: float) -> float { return x / 2.0; }
fn byte(x: int) -> int { return x; }
fn sum(xs: [int]) -> int { var t = 0; for x in xs { t += x; } return t; }
fn keys(m: {str: int}) -> [str] { return m.keys(); }
fn greet(name: str) -> str { return "hi " + name; }
"#;

fn setup() -> (Engine, Module, Store, Instance) {
    let engine = Engine::default();
    let module = engine.compile_source("values.kite", SCRIPT).unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::new(&engine, Capabilities::none(), Limits::default());
    let inst = Linker::new(&engine).instantiate(&mut store, &module).unwrap_or_else(|e| panic!("{e}"));
    (engine, module, store, inst)
}

fn s(x: &str) -> Val {
    Val::Str(x.to_string())
}

#[test]
fn maps_come_out_in_insertion_order_and_structs_by_field_name() {
    let (_, _, mut store, inst) = setup();
    let words = Val::Array(vec![s("b"), s("a"), s("b"), s("c")]);
    let m = inst.call_dynamic(&mut store, "counts", &[words]).unwrap();
    assert_eq!(m, Val::Map(vec![(s("b"), Val::Int(2)), (s("a"), Val::Int(1)), (s("c"), Val::Int(1))]));

    let t = inst.call_dynamic(&mut store, "team", &[]).unwrap();
    let Val::Struct { name, fields } = &t else { panic!("not a struct: {t:?}") };
    assert_eq!(name, "Team");
    let field_names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(field_names, ["name", "members", "scores"]);
    assert_eq!(fields[2].1, Val::Map(vec![(s("z"), Val::Int(1)), (s("a"), Val::Int(2))]));
    let Val::Array(members) = &fields[1].1 else { panic!("members: {:?}", fields[1].1) };
    assert_eq!(
        members[0],
        Val::Struct {
            name: "User".into(),
            fields: vec![("name".into(), s("ann")), ("age".into(), Val::Int(7)), ("email".into(), Val::Nil)]
        }
    );

    // Back in, fields matched by name whatever their order; a missing optional is nil.
    let reordered = Val::Struct {
        name: String::new(),
        fields: vec![
            ("scores".into(), Val::Map(vec![])),
            (
                "members".into(),
                Val::Array(vec![
                    Val::Struct {
                        name: String::new(),
                        fields: vec![("age".into(), Val::Int(30)), ("name".into(), s("cy"))],
                    },
                    Val::Struct {
                        name: String::new(),
                        fields: vec![("name".into(), s("di")), ("age".into(), Val::Int(40))],
                    },
                ]),
            ),
            ("name".into(), s("x")),
        ],
    };
    assert_eq!(inst.call_dynamic(&mut store, "oldest", &[reordered]).unwrap(), s("di"));
    // The team the program made goes back in unchanged.
    assert_eq!(inst.call_dynamic(&mut store, "oldest", &[t]).unwrap(), s("bo"));
}

#[test]
fn nested_arrays_and_optionals_cross() {
    let (_, _, mut store, inst) = setup();
    let g = inst.call_dynamic(&mut store, "grid", &[Val::Int(2)]).unwrap();
    assert_eq!(g, Val::Array(vec![Val::Array(vec![Val::Int(0), Val::Nil]), Val::Array(vec![Val::Int(1), Val::Nil])]));
    let typed: Vec<Vec<Option<i64>>> = inst.call(&mut store, "grid", 3i64).unwrap();
    assert_eq!(typed, vec![vec![Some(0), None], vec![Some(1), None], vec![Some(2), None]]);
}

#[test]
fn a_closure_never_crosses_as_nil() {
    let (_, _, mut store, inst) = setup();
    let e = inst.call_dynamic(&mut store, "adder", &[Val::Int(1)]).unwrap_err();
    assert!(matches!(e, Error::CannotCross { .. }), "{e:?}");
    assert!(e.to_string().contains("fn(int) -> int cannot cross the host boundary"), "{e}");
    assert!(inst.typed_func::<i64, Val>(&store, "adder").is_err());
}

#[test]
fn a_struct_missing_a_field_is_an_error_naming_the_path() {
    let (_, _, mut store, inst) = setup();
    let bad = Val::Struct {
        name: "Team".into(),
        fields: vec![
            ("name".into(), s("x")),
            ("scores".into(), Val::Map(vec![])),
            (
                "members".into(),
                Val::Array(vec![Val::Struct { name: "User".into(), fields: vec![("name".into(), Val::Int(3))] }]),
            ),
        ],
    };
    let e = inst.call_dynamic(&mut store, "oldest", &[bad]).unwrap_err();
    assert!(matches!(e, Error::Value { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.starts_with("argument 1 of oldest: members[0].name: expected str, found int"), "{text}");
}

#[test]
fn typed_handles_check_the_signature_once() {
    let (engine, module, mut store, inst) = setup();
    let add = inst.typed_func::<(i64, i64), i64>(&store, "add").unwrap();
    let mut total = 0;
    for i in 0..1000 {
        total = add.call(&mut store, (total, i)).unwrap();
    }
    assert_eq!(total, 499_500);
    let nop = inst.typed_func::<(), ()>(&store, "nop").unwrap();
    nop.call(&mut store, ()).unwrap();

    let e = inst.typed_func::<(i64, f64), i64>(&store, "add").unwrap_err();
    assert_eq!(e.to_string(), "add is fn(int, int) -> int in the program, but was called as fn(int, float) -> int");
    assert!(matches!(inst.typed_func::<(), ()>(&store, "nope"), Err(Error::NoExport { .. })));

    // A handle is for its own store.
    let mut other = Store::new(&engine, Capabilities::none(), Limits::default());
    Linker::new(&engine).instantiate(&mut other, &module).unwrap();
    assert!(matches!(add.call(&mut other, (1, 2)), Err(Error::WrongStore)));
}

#[test]
fn integers_convert_exactly_and_floats_narrow() {
    let (_, _, mut store, inst) = setup();
    let b: u8 = inst.call(&mut store, "byte", 200u8).unwrap();
    assert_eq!(b, 200);
    let e = inst.call::<i64, u8>(&mut store, "byte", 300).unwrap_err();
    assert!(e.to_string().contains("300"), "{e}");
    let e = inst.call::<i64, u32>(&mut store, "byte", -1).unwrap_err();
    assert!(e.to_string().contains("-1"), "{e}");
    let e = inst.call::<u64, i64>(&mut store, "byte", u64::MAX).unwrap_err();
    assert!(matches!(e, Error::Value { .. }), "{e:?}");
    assert_eq!(inst.call::<usize, usize>(&mut store, "byte", 5).unwrap(), 5);
    assert_eq!(inst.call::<i16, i8>(&mut store, "byte", -128).unwrap(), -128);
    assert_eq!(inst.call::<f32, f32>(&mut store, "half", 3.0).unwrap(), 1.5);
    assert_eq!(inst.call::<&[i64], i64>(&mut store, "sum", &[1, 2, 3][..]).unwrap(), 6);
    assert_eq!(inst.call::<&str, String>(&mut store, "greet", "ann").unwrap(), "hi ann");
}

#[test]
fn rust_maps_cross_as_kite_maps() {
    let (_, _, mut store, inst) = setup();
    let mut im = IndexMap::new();
    im.insert("z".to_string(), 1i64);
    im.insert("a".to_string(), 2);
    let keys: Vec<String> = inst.call(&mut store, "keys", im).unwrap();
    assert_eq!(keys, ["z", "a"]);
    let bt: BTreeMap<String, i64> = [("b".to_string(), 1), ("a".to_string(), 2)].into();
    let keys: Vec<String> = inst.call(&mut store, "keys", bt).unwrap();
    assert_eq!(keys, ["a", "b"]);
    let counts: HashMap<String, i64> = inst.call(&mut store, "counts", vec!["x", "y", "x"]).unwrap();
    assert_eq!(counts, HashMap::from([("x".to_string(), 2), ("y".to_string(), 1)]));
    let ordered: IndexMap<String, u32> = inst.call(&mut store, "counts", vec!["y", "x", "y"]).unwrap();
    assert_eq!(ordered.keys().collect::<Vec<_>>(), ["y", "x"]);
}

/// Per-user state the host keeps in the store.
#[derive(Default)]
struct Session {
    user: String,
    log: Vec<String>,
    calls: u32,
}

#[test]
fn host_closures_reach_the_store_data_through_their_caller() {
    let engine = Engine::default();
    let module = engine
        .compile_source(
            "session.kite",
            r#"
extern "app" fn log(msg: str);
extern "app" fn user() -> str;
extern "app" fn shout(msg: str) -> str;
fn run(n: int) -> int { for i in 0..n { log(user() + " " + str(i)); } return n; }
fn loud(s: str) -> str { return shout(s); }
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mut linker: Linker<Session> = Linker::new(&engine);
    linker
        .func("app", "log", |mut c: Caller<'_, Session>, msg: &str| {
            let d = c.data_mut();
            d.calls += 1;
            d.log.push(msg.to_string());
        })
        .unwrap();
    linker.func("app", "user", |c: Caller<'_, Session>| c.data().user.clone()).unwrap();
    linker.func("app", "shout", |msg: &str| msg.to_uppercase()).unwrap();
    let data = Session { user: "ann".into(), ..Session::default() };
    let mut store = Store::with_data(&engine, Capabilities::none(), Limits::default(), data);
    let inst = linker.instantiate(&mut store, &module).unwrap();
    assert_eq!(inst.call::<i64, i64>(&mut store, "run", 3).unwrap(), 3);
    assert_eq!(store.data().log, ["ann 0", "ann 1", "ann 2"]);
    store.data_mut().user = "bo".into();
    inst.call::<i64, i64>(&mut store, "run", 1).unwrap();
    assert_eq!(inst.call::<&str, String>(&mut store, "loud", "hey").unwrap(), "HEY");
    let s = store.into_data();
    assert_eq!((s.calls, s.log.last().map(String::as_str)), (4, Some("bo 0")));
}

#[test]
fn a_caller_parameter_after_the_first_is_refused() {
    let engine = Engine::default();
    let mut linker: Linker<u32> = Linker::new(&engine);
    let e = linker.func("app", "f", |x: i64, _c: Caller<'_, u32>| x).unwrap_err();
    assert!(e.to_string().contains("app.f"), "{e}");
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct User {
    name: String,
    age: u32,
    email: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
struct Team {
    name: String,
    members: Vec<User>,
    scores: IndexMap<String, i64>,
}

#[test]
fn serde_values_cross_both_ways() {
    let (_, _, mut store, inst) = setup();
    let Serde(team): Serde<Team> = inst.call(&mut store, "team", ()).unwrap();
    assert_eq!(team.members[1], User { name: "bo".into(), age: 9, email: Some("bo@x".into()) });
    assert_eq!(team.scores.keys().collect::<Vec<_>>(), ["z", "a"]);
    let mut t = team;
    t.members.push(User { name: "cy".into(), age: 99, email: None });
    let name: String = inst.call(&mut store, "oldest", Serde(t)).unwrap();
    assert_eq!(name, "cy");
}

#[test]
fn a_serde_value_of_the_wrong_shape_names_the_path() {
    #[derive(serde::Serialize)]
    struct BadUser {
        name: i64,
        age: u32,
    }
    #[derive(serde::Serialize)]
    struct BadTeam {
        name: String,
        members: Vec<BadUser>,
        scores: BTreeMap<String, i64>,
    }
    let (_, _, mut store, inst) = setup();
    let bad = BadTeam {
        name: "t".into(),
        members: vec![BadUser { name: 1, age: 1 }, BadUser { name: 2, age: 2 }],
        scores: BTreeMap::new(),
    };
    let e = inst.call::<_, String>(&mut store, "oldest", Serde(bad)).unwrap_err();
    assert!(e.to_string().contains("members[0].name: expected str, found int"), "{e}");

    // Out of the program into a Rust type that does not fit.
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Narrow {
        name: String,
        members: Vec<BTreeMap<String, String>>,
    }
    let e = inst.call::<(), Serde<Narrow>>(&mut store, "team", ()).unwrap_err();
    assert!(e.to_string().contains("members[0]"), "{e}");
}

#[test]
fn eval_evaluates_one_expression() {
    assert_eq!(kite::eval::<i64>("[1, 2, 3].len() * 2").unwrap(), 6);
    assert_eq!(kite::eval::<String>(r#""ab".repeat(2)"#).unwrap(), "abab");
    assert_eq!(kite::eval::<Option<i64>>(r#"{"a": 1}.get("b")"#).unwrap(), None);
    assert_eq!(kite::eval::<f64>("math.sqrt(16.0)").unwrap(), 4.0);
    // No capabilities.
    let e = kite::eval::<bool>(r#"fs.exists("/")"#).unwrap_err();
    assert!(e.to_string().contains("capability denied"), "{e}");
    // A compile error points into the expression.
    let e = kite::eval::<i64>("1 +").unwrap_err();
    assert!(matches!(e, Error::Compile(_)), "{e:?}");
    // Val says nothing of the type to ask for.
    assert!(kite::eval::<Val>("1").is_err());
}

#[test]
fn a_pending_interrupt_stops_the_next_call_even_without_loops() {
    let (_, _, mut store, inst) = setup();
    let handle: InterruptHandle = store.interrupt_handle();
    handle.interrupt();
    let e = inst.call::<(i64, i64), i64>(&mut store, "add", (1, 2)).unwrap_err();
    assert_eq!(e.trap().map(|t| t.message.as_str()), Some("interrupted"), "{e:?}");
    // Taken once: the next call runs.
    assert_eq!(inst.call::<(i64, i64), i64>(&mut store, "add", (1, 2)).unwrap(), 3);
}
