import OTLPExport

/// The clock of span and event timestamps (defined in OTLPExport; named here so that code which
/// imports only MelleaTracing can pass `at: WallClock.now()`).
public typealias WallClock = OTLPExport.WallClock
