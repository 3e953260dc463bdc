#if MeasuredFloors
import Glibc
#endif

/// How far a delivery goes before it is answered, for `Benchmarks/floors.sh`: `http`, 202 as
/// soon as the body is in (NIO and the handlers alone); `decode`, verify, decode and route, then
/// 202 on the next loop tick; `journal`, everything but the journal (event id, dedup claim, queue
/// room, the event, its jobs, the `received` record), then 202 on the next loop tick.
///
/// Only a build with the package trait `MeasuredFloors` reads `HOOKLINE_FLOOR`. Every other build
/// — the one shipped, the one tested — has `current` as a constant nil: the branches that ask it
/// are compiled and type-checked with the rest of the code (so they cannot drift from it) and
/// folded away by the optimizer (so they cost nothing).
enum MeasuredFloor: String {
    case http, decode, journal

    #if MeasuredFloors
    static let current: MeasuredFloor? = getenv("HOOKLINE_FLOOR").flatMap { MeasuredFloor(rawValue: String(cString: $0)) }
    #else
    @inline(__always) static var current: MeasuredFloor? { nil }
    #endif
}
