/** How the benchmark names each message, on the sending and the receiving side. */

/** Where Mosquitto listens on these machines. */
export const MOSQUITTO = { host: '127.0.0.1', port: 1883 } as const;

/** Topic root of the Mosquitto load. */
export const TOPIC_ROOT = 'medsim-bench';

/** The key of a reading as the gateway's WebSocket delivers it: device id and measurement time. */
export const gatewayKey = (deviceId: string, measuredAtIso: string): string => `${deviceId}|${Date.parse(measuredAtIso)}`;

/** The key of a message Mosquitto delivered: client id and the sequence in its first 8 bytes. */
export const mosquittoKey = (topic: string, payload: Buffer): string => `${topic.slice(TOPIC_ROOT.length + 1)}|${payload.readDoubleBE(0)}`;
