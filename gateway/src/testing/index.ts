/** Test doubles of the gateway's ports and a harness around a real gateway (`@carecircle/gateway/testing`). */
export {
  ManualClock,
  MemoryDeadLetterStore,
  MemoryDeviceDirectory,
  MemoryDeviceIncidents,
  MemoryJournal,
} from './fakes';
export { type LogLine, nativeEvent, nextEvent, secretOf, startTestGateway, type TestGateway, waitFor } from './harness';
export { connectPacket, publishPacket, type RawConnection, rawConnection, remainingLength } from './raw';
