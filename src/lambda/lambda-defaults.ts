/**
 * The Kafka client id of the Lambda's dead-letter producer unless `CDC_CACHE_KAFKA_CLIENT_ID` says otherwise.
 * Its own module: the producer is a separate bundle file that must not load the configuration code.
 */
export const LAMBDA_KAFKA_CLIENT_ID = 'cdc-cache-lambda';
