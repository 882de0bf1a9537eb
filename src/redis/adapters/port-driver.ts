/** A command on its way to a client library: its routing key (undefined: none) and its arguments as text. */
export interface DriverCommand {
  readonly key: string | undefined;
  readonly args: readonly string[];
}

/** A primary as a driver sees it. */
export interface DriverNode {
  readonly address: string;
  send(args: readonly string[]): Promise<unknown>;
}

/**
 * What an adapter implements for one client library: raw sends and pipelines with routing. The shared part
 * ({@link createRedisPort}) adds scripts by SHA, NOSCRIPT fallback and reply normalisation once for all.
 */
export interface PortDriver {
  readonly kind: 'ioredis' | 'node-redis' | 'glide';
  readonly cluster: boolean;
  send(command: DriverCommand): Promise<unknown>;
  /** One round trip per node; one reply or Error per command, in order; never rejects for a command's error. */
  pipeline(commands: readonly DriverCommand[]): Promise<unknown[]>;
  primaries(): Promise<readonly DriverNode[]>;
  close(): Promise<void>;
}
