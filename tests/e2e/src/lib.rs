//! See tests/app.rs: end-to-end tests of the Runlens app through WebDriver.
