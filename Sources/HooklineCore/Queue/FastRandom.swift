/// xoshiro256**: a fast generator for identifiers (not secrets). `SystemRandomNumberGenerator`
/// is a system call per draw on Linux — two per request for an event id — so ids draw from this,
/// seeded once from the system generator.
package struct FastRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    package init(seededBy system: inout some RandomNumberGenerator) {
        state = (system.next(), system.next(), system.next(), system.next())
        if state == (0, 0, 0, 0) { state.0 = 0x9E37_79B9_7F4A_7C15 }
    }

    package init() {
        var system = SystemRandomNumberGenerator()
        self.init(seededBy: &system)
    }

    package mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 { (value << count) | (value >> (64 - count)) }
}
