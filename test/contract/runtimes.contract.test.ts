// The runtime contract (test/contract/runtime-contract-suite.ts) run against every runtime.

import { registerRuntimeContractSuite } from './runtime-contract-suite';
import {
  dynamodbPollerDriver,
  kafkaLambdaDriver,
  kafkaWorkerDriver,
  streamLambdaDriver,
} from './runtime-drivers';

jest.setTimeout(60_000);

registerRuntimeContractSuite(kafkaWorkerDriver());
registerRuntimeContractSuite(kafkaLambdaDriver());
registerRuntimeContractSuite(streamLambdaDriver());
registerRuntimeContractSuite(dynamodbPollerDriver());
