// A Sparkplug B edge node played by Eclipse Tahu's JavaScript client (npm sparkplug-client),
// for andon's host tests: NBIRTH, a DBIRTH with every scalar data type and aliases, DDATA by
// alias, a sequence gap (the host must ask for a rebirth), the rebirth the host asks for,
// more DDATA, then an NDEATH. Every value sent is printed as one JSON line, so the test
// compares what the store holds with what was sent, value for value.
//
//   node edge.js mqtt://127.0.0.1:1883 <group> <node> <device>
"use strict";

const sparkplug = require("sparkplug-client");

const [serverUrl, groupId, edgeNode, device] = process.argv.slice(2);
const base = Date.now() - 60000;
let tick = 0;
const at = () => base + tick++;

// name, Sparkplug type, values sent in turn (the first in the birth)
const METRICS = [
  ["spindle_speed", "UInt32", [1200, 4000000000, 3500, 17, 0, 2999999999]],
  ["t_int8", "Int8", [-5, 127, -128, 0]],
  ["t_int16", "Int16", [-300, 32767, -32768]],
  ["t_int32", "Int32", [-70000, 2147483647, -2147483648]],
  ["t_int64", "Int64", [-9007199254740991, 9007199254740991, -1]],
  ["t_uint8", "UInt8", [200, 255, 0]],
  ["t_uint16", "UInt16", [60000, 65535, 1]],
  ["t_uint64", "UInt64", [9007199254740991, 0, 123456789012]],
  ["t_float", "Float", [21.5, -0.25, 999.5]],
  ["t_double", "Double", [3.14159, -273.15, 0.1]],
  ["t_boolean", "Boolean", [true, false, true]],
  ["t_datetime", "DateTime", [1700000000000, 1700000001000, 1700000002000]],
  ["constant", "UInt16", [42]], // reported by exception: only its birth carries it
];

function out(record) {
  process.stdout.write(JSON.stringify(record) + "\n");
}

const client = sparkplug.newClient({
  serverUrl,
  username: "",
  password: "",
  groupId,
  edgeNode,
  clientId: `tahu-${groupId}-${edgeNode}`,
  publishDeath: true,
  version: "spBv1.0",
});

let births = 0;
let rebirthAsked = false;

function publishBirths() {
  births += 1;
  const ts = at();
  client.publishNodeBirth({
    timestamp: ts,
    metrics: [{ name: "Node Control/Rebirth", type: "Boolean", value: false }],
  });
  const metrics = METRICS.map(([name, type, values], alias) => {
    const value = values[0];
    out({ kind: "birth", name, type, value, ts });
    return { name, alias, type, value, timestamp: ts };
  });
  client.publishDeviceBirth(device, { timestamp: ts, metrics });
}

function publishData(round) {
  const metrics = [];
  METRICS.forEach(([name, type, values], alias) => {
    if (values.length < 2) return;
    const value = values[1 + (round % (values.length - 1))];
    const ts = at();
    out({ kind: "data", name, type, value, ts });
    metrics.push({ alias, type, value, timestamp: ts });
  });
  client.publishDeviceData(device, { timestamp: at(), metrics });
}

function spindle(count) {
  for (let i = 0; i < count; i += 1) {
    const value = 1000 + 97 * i + (i % 2 ? 4000000000 - 2000 : 0);
    const ts = at();
    out({ kind: "data", name: "spindle_speed", type: "UInt32", value, ts });
    client.publishDeviceData(device, { timestamp: ts, metrics: [{ alias: 0, type: "UInt32", value, timestamp: ts }] });
  }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

client.on("ncmd", async (payload) => {
  const asked = (payload.metrics || []).some((m) => m.name === "Node Control/Rebirth" && m.value === true);
  if (!asked || rebirthAsked) return;
  rebirthAsked = true;
  out({ kind: "rebirth_asked" });
  publishBirths();
  await pause(200);
  publishData(1);
  spindle(14);
  await pause(500);
  out({ kind: "death" });
  client.stop(); // publishDeath: the NDEATH with this session's bdSeq, then disconnect
  await pause(300);
  out({ kind: "done", births });
  process.exit(0);
});

client.on("birth", async () => {
  if (births > 0) return;
  publishBirths();
  await pause(200);
  publishData(0);
  spindle(14);
  await pause(200);
  client.seq = (client.seq + 5) % 256; // five messages never sent: a gap
  out({ kind: "gap" });
  publishData(2);
});

client.on("error", (error) => {
  process.stderr.write(`tahu edge error: ${error}\n`);
  process.exit(3);
});

setTimeout(() => {
  process.stderr.write("tahu edge: no rebirth request within 30 s\n");
  process.exit(4);
}, 30000);
