// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-mellea-tracing",
    products: [
        .library(name: "OTLPExport", targets: ["OTLPExport"]),
        .executable(name: "mellea-trace", targets: ["mellea-trace"]),
        .executable(name: "trace-bench", targets: ["trace-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        // gRPC core and protobuf-c from Debian; the OTLP protobuf-c code generated from proto/.
        .target(
            name: "CGRPC",
            linkerSettings: [
                .linkedLibrary("grpc"), .linkedLibrary("gpr"), .linkedLibrary("protobuf-c"),
            ]
        ),
        .target(
            name: "OTLPExport",
            dependencies: ["CGRPC", .product(name: "Atomics", package: "swift-atomics")]
        ),
        .executableTarget(name: "mellea-trace", dependencies: ["OTLPExport"]),
        .executableTarget(name: "trace-bench", dependencies: ["OTLPExport"]),
        .testTarget(name: "OTLPExportTests", dependencies: ["OTLPExport", "CGRPC"]),
    ],
    swiftLanguageModes: [.v6]
)
