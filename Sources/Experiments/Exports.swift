// Configs are read through `Configuration`; code that imports `Experiments` sees its
// errors and the `ConfigEntry` protocol without a second import.
@_exported import Configuration
