// Empties each bucket named on the command line, every version and delete marker, so an emulator's stack
// can be destroyed (a bucket with objects cannot be deleted, and the stacks retain theirs). Run by
// localstack-stack.sh and emulator-stack.sh with AWS_ENDPOINT_URL at the emulator; reports each bucket.
import console from 'node:console';
import process from 'node:process';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });
for (const bucket of process.argv.slice(2).filter(Boolean)) {
  try {
    for (;;) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
      const ids = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
        Key: v.Key,
        VersionId: v.VersionId,
      }));
      if (ids.length === 0) break;
      for (let i = 0; i < ids.length; i += 1000)
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: ids.slice(i, i + 1000), Quiet: true },
          }),
        );
    }
    console.error(`emptied s3://${bucket}`);
  } catch (error) {
    console.error(`could not empty s3://${bucket}: ${error.message}`);
  }
}
