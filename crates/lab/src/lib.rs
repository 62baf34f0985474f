//! Shootdown Lab's stepper without a browser: the state of the page's runs and every
//! action on it, permalinks, compare mode's projection and the worker protocol. The app
//! (`sdlab-app`) draws it and wires it to the page; nothing here knows of yew or web-sys,
//! so the logic has native tests and can be fuzzed with random actions.

pub mod cause;
pub mod compare;
pub mod glossary;
pub mod guide;
pub mod narrate;
pub mod pace;
pub mod permalink;
pub mod protocol;
pub mod reference;
pub mod state;
pub mod view;
