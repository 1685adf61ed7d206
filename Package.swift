// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-mellea-tracing",
    products: [
        .library(name: "MelleaTracing", targets: ["MelleaTracing"]),
        .library(name: "OTLPExport", targets: ["OTLPExport"]),
        // Its own product, so that depending on MelleaTracing or OTLPExport never builds the HTTP client.
        .library(name: "MelleaOpenAI", targets: ["MelleaOpenAI"]),
        .executable(name: "mellea-trace", targets: ["mellea-trace"]),
        .executable(name: "trace-bench", targets: ["trace-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        // The GenAI tracing layer. Named MelleaTracing: a target named Tracing would collide with
        // swift-distributed-tracing's Tracing module.
        .target(
            name: "MelleaTracing",
            dependencies: [
                "OTLPExport",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            ],
            path: "Sources/Tracing"
        ),
        // The OpenAI-compatible back end: the only target that depends on async-http-client.
        .target(
            name: "MelleaOpenAI",
            dependencies: [
                "MelleaTracing",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        .executableTarget(
            name: "mellea-trace",
            dependencies: [
                "OTLPExport", "MelleaTracing", "OTLPReceiver", "MelleaOpenAI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "trace-bench", dependencies: ["OTLPExport", "MelleaTracing", "OTLPReceiver"]),
        .testTarget(name: "OTLPExportTests", dependencies: ["OTLPExport", "CGRPC", "MelleaTracing", "OTLPReceiver"]),
        .testTarget(name: "MelleaTracingTests", dependencies: ["MelleaTracing", "OTLPExport"]),
        .testTarget(
            name: "MelleaOpenAITests",
            dependencies: [
                "MelleaOpenAI", "MelleaTracing", "OTLPExport", "OTLPReceiver",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // A development receiver (gRPC core's server) for mellea-trace, the benchmark and the tests:
        // its own targets, so that no user of the OTLPExport or MelleaTracing products builds it.
        .target(name: "COTLPReceiver", dependencies: ["CGRPC"]),
        .target(name: "OTLPReceiver", dependencies: ["COTLPReceiver", "CGRPC", "OTLPExport"]),
        .testTarget(name: "MelleaTraceCLITests", dependencies: ["OTLPReceiver", "OTLPExport", "MelleaTracing"]),
    ],
    swiftLanguageModes: [.v6]
)
