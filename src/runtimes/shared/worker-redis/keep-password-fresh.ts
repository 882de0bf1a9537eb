import type { PortDriver } from '../../../redis/adapters/port-driver';
import type { ElastiCacheIamAuth } from '../../../redis/iam/elasticache-iam-auth';

/**
 * The driver of a client whose password is an IAM token: a fresh token every refresh interval (for the
 * client's next reconnection), stopped when the driver closes. Without `iam`, the driver as it is.
 */
export function keepPasswordFresh(
  driver: PortDriver,
  client: Parameters<ElastiCacheIamAuth['keepPasswordFresh']>[0],
  iam: ElastiCacheIamAuth | undefined,
  onIamError: ((error: unknown) => void) | undefined,
): PortDriver {
  const refresher = iam?.keepPasswordFresh(client, onIamError);
  if (!refresher) return driver;
  return {
    ...driver,
    close() {
      refresher.stop();
      return driver.close();
    },
  };
}
