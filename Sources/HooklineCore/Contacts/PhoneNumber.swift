/// A phone number as CRMs exchange it: the digits as written, and the ISO 3166-1 alpha-2
/// country when the sender says which (Plannr defaults to GB when it is absent).
public struct PhoneNumber: Sendable, Hashable {
    public var number: String
    public var country: String?

    public init(number: String, country: String? = nil) {
        self.number = number
        self.country = country
    }
}

/// The kinds of phone a contact has, shared by the three CRMs.
public enum PhoneKind: String, Sendable, Hashable, CaseIterable {
    case mobile
    case office
    case other
}
