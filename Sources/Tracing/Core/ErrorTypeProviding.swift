/// An error that names its own `error.type`: a short, low-cardinality name such as `rateLimited`,
/// where the Swift type's name alone (one type for many failures) would say too little.
public protocol ErrorTypeProviding: Error {
    /// The value recorded as `error.type` on the span the error ends.
    var errorType: String { get }
}
