/**
 * How a publish request failed because no connector was connected to take it begins
 * (publisher.ts, and connector-test.ts for the requests a failed test strands): the health
 * check tells that failure from a platform's answer by it, and gives other advice.
 */
export const NO_CONNECTOR_CONNECTED = 'no connector is connected';
