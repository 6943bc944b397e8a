//! Reading live configuration from the environment. One test in this binary, so changing the
//! process environment races with nothing.

use paybridge_registry::CONNECTORS;

#[test]
fn live_config_is_none_without_its_variables_and_builds_with_them() {
    for entry in CONNECTORS {
        for variable in entry.live_variables {
            std::env::remove_var(variable);
        }
        let unset = (entry.live_config)();
        assert!(
            matches!(unset, Ok(None)),
            "{}: configured (or failed) without its variables",
            entry.name
        );

        for variable in entry.live_variables {
            std::env::set_var(variable, "test_value");
        }
        let config = match (entry.live_config)() {
            Ok(Some(config)) => config,
            Ok(None) => panic!(
                "{}: {:?} set, yet not configured",
                entry.name, entry.live_variables
            ),
            Err(e) => panic!("{}: {e}", entry.name),
        };
        let id = (entry.build)(&config)
            .map(|c| c.id())
            .map_err(|e| e.to_string());
        assert_eq!(id.as_deref(), Ok(entry.name));
        for variable in entry.live_variables {
            std::env::remove_var(variable);
        }
    }
}
