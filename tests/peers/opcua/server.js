// A node-opcua server as a reference peer for andon's OPC UA source.
//
// usage: node server.js PORT PKI_FOLDER [VALUE]
// Offers security None and Basic256Sha256 SignAndEncrypt, with its own certificate made
// in PKI_FOLDER (kept across restarts) and every client certificate accepted. Exposes
// ns=1;s=andon.<Type> for each OPC UA scalar type andon maps to a sample, plus
// ns=1;s=andon.Counter, a Double that counts up every 100 ms from VALUE (default 0).
// Prints "READY <certificate file>" on stdout once listening.
"use strict";

const path = require("path");
const opcua = require("node-opcua");

const port = parseInt(process.argv[2], 10);
const pki = process.argv[3];
const start = parseFloat(process.argv[4] || "0");

const SCALARS = {
  Boolean: [opcua.DataType.Boolean, true],
  SByte: [opcua.DataType.SByte, -12],
  Byte: [opcua.DataType.Byte, 200],
  Int16: [opcua.DataType.Int16, -30000],
  UInt16: [opcua.DataType.UInt16, 60000],
  Int32: [opcua.DataType.Int32, -2000000000],
  UInt32: [opcua.DataType.UInt32, 4000000000],
  Int64: [opcua.DataType.Int64, [0xffffffff, 0xfffffff6]], // -10 as [high, low]
  UInt64: [opcua.DataType.UInt64, [0, 5000000000 % 0x100000000]],
  Float: [opcua.DataType.Float, 1.5],
  Double: [opcua.DataType.Double, 2.25],
};

async function main() {
  const serverCertificateManager = new opcua.OPCUACertificateManager({
    rootFolder: path.join(pki, "server"),
    automaticallyAcceptUnknownCertificate: true,
  });
  await serverCertificateManager.initialize();
  const certificateFile = path.join(pki, "server_cert.pem");
  const privateKeyFile = serverCertificateManager.privateKey;
  const server = new opcua.OPCUAServer({
    port,
    hostname: "127.0.0.1",
    serverCertificateManager,
    certificateFile,
    privateKeyFile,
    securityPolicies: [opcua.SecurityPolicy.None, opcua.SecurityPolicy.Basic256Sha256],
    securityModes: [opcua.MessageSecurityMode.None, opcua.MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: true,
    serverInfo: { applicationUri: "urn:andon:peer:node-opcua" },
  });
  await server.initialize();
  const space = server.engine.addressSpace;
  const ns = space.getOwnNamespace();
  const folder = ns.addObject({ organizedBy: space.rootFolder.objects, browseName: "andon" });
  for (const [name, [dataType, value]] of Object.entries(SCALARS)) {
    ns.addVariable({
      componentOf: folder,
      nodeId: `s=andon.${name}`,
      browseName: name,
      dataType,
      value: { dataType, arrayType: opcua.VariantArrayType.Scalar, value },
    });
  }
  let counter = start;
  const variable = ns.addVariable({
    componentOf: folder,
    nodeId: "s=andon.Counter",
    browseName: "Counter",
    dataType: "Double",
    minimumSamplingInterval: 50,
    value: { dataType: opcua.DataType.Double, value: counter },
  });
  setInterval(() => {
    counter += 1;
    variable.setValueFromSource({ dataType: opcua.DataType.Double, value: counter });
  }, 100);
  await server.start();
  process.stdout.write(`READY ${certificateFile}\n`);
  const stop = async () => {
    await server.shutdown(0);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
