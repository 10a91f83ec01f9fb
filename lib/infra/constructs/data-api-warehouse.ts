import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { copyRole, grantDataApi, RedshiftServerlessWarehouse } from './redshift-serverless-warehouse.js';

/**
 * What the ELT workflow needs of its warehouse: a workgroup and database to name in Data API calls, the
 * role COPY assumes, and a grant of the Data API to the ELT's role. Redshift Serverless in the stack
 * ({@link RedshiftServerlessWarehouse}), or a Data API endpoint outside it ({@link DataApiEndpointWarehouse}).
 */
export interface EltWarehouse {
  readonly workgroupName: string;
  readonly databaseName: string;
  readonly copyRole: iam.IRole;
  /** The namespace's id, so a recreated namespace starts without the old watermark; absent, none. */
  readonly namespaceId?: string;
  grantDataApi(role: iam.Role): void;
}

/** Props of {@link DataApiEndpointWarehouse}. */
export interface DataApiEndpointWarehouseProps {
  /** The workgroup name the Data API calls carry (the endpoint behind it decides what it means). */
  readonly workgroupName: string;
  readonly databaseName: string;
  /** COPY reads raw objects and manifests from this bucket. */
  readonly rawBucket: s3.IBucket;
}

/**
 * A warehouse that is not in the stack: the ELT steps call a Data API endpoint given by the config
 * (`warehouse.dataApiEndpoint`; for the `emulator` target, `elt dataapi` over PostgreSQL on the host). The
 * stack still makes the COPY role and grants the Data API as for Redshift Serverless, so the functions,
 * the state machine and their permissions are the ones deployed to AWS.
 */
export class DataApiEndpointWarehouse extends Construct implements EltWarehouse {
  readonly workgroupName: string;
  readonly databaseName: string;
  readonly copyRole: iam.Role;
  private readonly workgroupArn: string;

  constructor(scope: Construct, id: string, props: DataApiEndpointWarehouseProps) {
    super(scope, id);
    this.workgroupName = props.workgroupName;
    this.databaseName = props.databaseName;
    this.copyRole = copyRole(this, props.rawBucket);
    // No workgroup resource exists to take an ARN from; the Data API's own resource is named here so the
    // grant has the shape it has on AWS (the emulator does not enforce IAM).
    this.workgroupArn = Stack.of(this).formatArn({
      service: 'redshift-serverless',
      resource: 'workgroup',
      resourceName: props.workgroupName,
    });
  }

  grantDataApi(role: iam.Role): void {
    grantDataApi(role, this.workgroupArn);
  }
}

/** Whether the warehouse is Redshift Serverless in this stack (its metrics and cost alarm exist). */
export function isRedshiftServerless(warehouse: EltWarehouse): warehouse is RedshiftServerlessWarehouse {
  return warehouse instanceof RedshiftServerlessWarehouse;
}
