/// What a message says about one contact field. A field the message does not mention is
/// `nil` on the patch — absent is not the same as `null`, which is `.clear`.
package enum FieldUpdate<Value: Sendable & Hashable>: Sendable, Hashable {
    /// Set the field to this value.
    case set(Value)
    /// The message carried `null`: empty the field.
    case clear

    /// The value being set, or nil when clearing.
    package var value: Value? {
        if case .set(let value) = self { return value }
        return nil
    }

    package func map<Other>(_ transform: (Value) -> Other) -> FieldUpdate<Other> {
        switch self {
        case .set(let value): .set(transform(value))
        case .clear: .clear
        }
    }
}
