import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDocumentClient } from '../aws/clients';
import { readWindowsConfig, type StreamFunction, type WindowsConfig } from '../config/windows';
import { detectorsFilePath, loadDetectorsFile, type Detector } from '../detectors';
import { rejectsSinkFor, type RejectsSink } from '../rejects';

/** What the stream functions (windows, hotspots) build at cold start from the environment and detectors.yml. */
export interface StreamFunctionSetup {
  config: WindowsConfig;
  detectorsFile: string;
  detectors: Detector[];
  documentClient: DynamoDBDocumentClient;
  rejects: RejectsSink;
}

export function setUpStreamFunction(fn: StreamFunction, logger: Logger): StreamFunctionSetup {
  const config = readWindowsConfig(process.env, fn);
  const detectorsFile = config.detectorsFile ?? detectorsFilePath();
  const detectors = loadDetectorsFile(detectorsFile, { windowSeconds: config.windowSeconds, threshold: config.defaultThreshold });
  return { config, detectorsFile, detectors, documentClient: dynamoDocumentClient(), rejects: rejectsSinkFor(config, logger) };
}
