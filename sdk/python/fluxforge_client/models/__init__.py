"""Contains all the data models used in inputs/outputs"""

from .admin_list_plans_status_type_1 import AdminListPlansStatusType1
from .admin_list_plans_status_type_2_type_1 import AdminListPlansStatusType2Type1
from .admin_list_plans_status_type_3_type_1 import AdminListPlansStatusType3Type1
from .admin_list_tenants_status_type_1 import AdminListTenantsStatusType1
from .admin_list_tenants_status_type_2_type_1 import AdminListTenantsStatusType2Type1
from .admin_list_tenants_status_type_3_type_1 import AdminListTenantsStatusType3Type1
from .api_key import ApiKey
from .api_key_create import ApiKeyCreate
from .api_key_created import ApiKeyCreated
from .api_key_page import ApiKeyPage
from .audit_event import AuditEvent
from .audit_event_after_type_0 import AuditEventAfterType0
from .audit_event_before_type_0 import AuditEventBeforeType0
from .audit_event_page import AuditEventPage
from .credit_note import CreditNote
from .credit_note_create import CreditNoteCreate
from .divergence import Divergence
from .export_audit_events_format import ExportAuditEventsFormat
from .field_error import FieldError
from .get_usage_window_type_1 import GetUsageWindowType1
from .get_usage_window_type_2_type_1 import GetUsageWindowType2Type1
from .get_usage_window_type_3_type_1 import GetUsageWindowType3Type1
from .health import Health
from .identity import Identity
from .ingest_result import IngestResult
from .invitation import Invitation
from .invitation_accept import InvitationAccept
from .invitation_create import InvitationCreate
from .invitation_created import InvitationCreated
from .invitation_created_status import InvitationCreatedStatus
from .invitation_page import InvitationPage
from .invitation_status import InvitationStatus
from .invoice import Invoice
from .invoice_line import InvoiceLine
from .invoice_line_kind import InvoiceLineKind
from .invoice_page import InvoicePage
from .invoice_status import InvoiceStatus
from .invoice_summary import InvoiceSummary
from .invoice_summary_status import InvoiceSummaryStatus
from .jwk import Jwk
from .jwk_alg_type_1 import JwkAlgType1
from .jwk_alg_type_2_type_1 import JwkAlgType2Type1
from .jwk_alg_type_3_type_1 import JwkAlgType3Type1
from .jwk_use_type_1 import JwkUseType1
from .jwk_use_type_2_type_1 import JwkUseType2Type1
from .jwk_use_type_3_type_1 import JwkUseType3Type1
from .jwks import Jwks
from .line_source import LineSource
from .list_all_invoices_status_type_1 import ListAllInvoicesStatusType1
from .list_all_invoices_status_type_2_type_1 import ListAllInvoicesStatusType2Type1
from .list_all_invoices_status_type_3_type_1 import ListAllInvoicesStatusType3Type1
from .list_invoices_status_type_1 import ListInvoicesStatusType1
from .list_invoices_status_type_2_type_1 import ListInvoicesStatusType2Type1
from .list_invoices_status_type_3_type_1 import ListInvoicesStatusType3Type1
from .list_runs_state_type_1 import ListRunsStateType1
from .list_runs_state_type_2_type_1 import ListRunsStateType2Type1
from .list_runs_state_type_3_type_1 import ListRunsStateType3Type1
from .login_code_grant import LoginCodeGrant
from .logout_request import LogoutRequest
from .member import Member
from .member_binding import MemberBinding
from .member_page import MemberPage
from .meter import Meter
from .meter_aggregation import MeterAggregation
from .meter_create import MeterCreate
from .meter_create_aggregation import MeterCreateAggregation
from .meter_page import MeterPage
from .meter_patch import MeterPatch
from .meter_patch_aggregation_type_0 import MeterPatchAggregationType0
from .meter_scope import MeterScope
from .namespace import Namespace
from .namespace_create import NamespaceCreate
from .namespace_create_labels import NamespaceCreateLabels
from .namespace_labels import NamespaceLabels
from .namespace_page import NamespacePage
from .namespace_patch import NamespacePatch
from .namespace_patch_labels_type_0 import NamespacePatchLabelsType0
from .namespace_status import NamespaceStatus
from .period_close import PeriodClose
from .period_close_result import PeriodCloseResult
from .plan import Plan
from .plan_create import PlanCreate
from .plan_page import PlanPage
from .plan_patch import PlanPatch
from .plan_patch_status_type_0 import PlanPatchStatusType0
from .plan_status import PlanStatus
from .plan_terms import PlanTerms
from .plan_version import PlanVersion
from .price import Price
from .price_model import PriceModel
from .problem import Problem
from .readiness_report import ReadinessReport
from .readiness_report_checks import ReadinessReportChecks
from .receive_stripe_webhook_body import ReceiveStripeWebhookBody
from .receive_stripe_webhook_body_data import ReceiveStripeWebhookBodyData
from .receive_stripe_webhook_body_data_object import ReceiveStripeWebhookBodyDataObject
from .receive_stripe_webhook_body_data_object_metadata import ReceiveStripeWebhookBodyDataObjectMetadata
from .refresh_token_grant import RefreshTokenGrant
from .rejection import Rejection
from .rejection_code import RejectionCode
from .replay_report import ReplayReport
from .retry_policy import RetryPolicy
from .retry_policy_backoff import RetryPolicyBackoff
from .retry_policy_retry_on_item import RetryPolicyRetryOnItem
from .role import Role
from .role_binding import RoleBinding
from .role_binding_create import RoleBindingCreate
from .role_binding_create_subject_type import RoleBindingCreateSubjectType
from .role_binding_page import RoleBindingPage
from .role_binding_subject_type import RoleBindingSubjectType
from .role_create import RoleCreate
from .role_create_permissions_item import RoleCreatePermissionsItem
from .role_page import RolePage
from .role_patch import RolePatch
from .role_patch_permissions_type_0_item import RolePatchPermissionsType0Item
from .run import Run
from .run_create import RunCreate
from .run_create_inputs import RunCreateInputs
from .run_event_message import RunEventMessage
from .run_inputs import RunInputs
from .run_page import RunPage
from .run_state import RunState
from .run_step import RunStep
from .run_step_input_type_0 import RunStepInputType0
from .run_step_outputs_type_0 import RunStepOutputsType0
from .run_step_state import RunStepState
from .run_summary import RunSummary
from .run_summary_state import RunSummaryState
from .run_trace import RunTrace
from .run_trace_inputs import RunTraceInputs
from .run_trace_state import RunTraceState
from .run_trace_steps import RunTraceSteps
from .run_trace_steps_additional_property import RunTraceStepsAdditionalProperty
from .scheduler_status import SchedulerStatus
from .scheduler_status_mode import SchedulerStatusMode
from .scheduler_update import SchedulerUpdate
from .scheduler_update_mode import SchedulerUpdateMode
from .step_error import StepError
from .step_error_kind import StepErrorKind
from .stripe_ref import StripeRef
from .subscription import Subscription
from .subscription_change import SubscriptionChange
from .subscription_change_page import SubscriptionChangePage
from .subscription_request import SubscriptionRequest
from .subscription_status import SubscriptionStatus
from .tenant import Tenant
from .tenant_create import TenantCreate
from .tenant_page import TenantPage
from .tenant_patch import TenantPatch
from .tenant_patch_status_type_0 import TenantPatchStatusType0
from .tenant_status import TenantStatus
from .tenant_update import TenantUpdate
from .tier import Tier
from .tier_line import TierLine
from .token_response import TokenResponse
from .trace_attempt import TraceAttempt
from .trace_attempt_input import TraceAttemptInput
from .trace_attempt_outcome import TraceAttemptOutcome
from .trace_attempt_output_type_0 import TraceAttemptOutputType0
from .trace_diff import TraceDiff
from .trace_difference import TraceDifference
from .usage_batch import UsageBatch
from .usage_bucket import UsageBucket
from .usage_bucket_group import UsageBucketGroup
from .usage_event import UsageEvent
from .usage_event_properties import UsageEventProperties
from .usage_report import UsageReport
from .usage_report_aggregation import UsageReportAggregation
from .usage_report_window_type_1 import UsageReportWindowType1
from .usage_report_window_type_2_type_1 import UsageReportWindowType2Type1
from .usage_report_window_type_3_type_1 import UsageReportWindowType3Type1
from .user import User
from .validation_result import ValidationResult
from .webhook_ack import WebhookAck
from .workflow import Workflow
from .workflow_input import WorkflowInput
from .workflow_input_type import WorkflowInputType
from .workflow_labels import WorkflowLabels
from .workflow_manifest import WorkflowManifest
from .workflow_metadata import WorkflowMetadata
from .workflow_metadata_labels import WorkflowMetadataLabels
from .workflow_page import WorkflowPage
from .workflow_spec import WorkflowSpec
from .workflow_status import WorkflowStatus
from .workflow_step import WorkflowStep
from .workflow_step_with import WorkflowStepWith
from .workflow_summary import WorkflowSummary
from .workflow_summary_labels import WorkflowSummaryLabels
from .workflow_summary_status import WorkflowSummaryStatus
from .workflow_version import WorkflowVersion
from .workflow_version_page import WorkflowVersionPage

__all__ = (
    "AdminListPlansStatusType1",
    "AdminListPlansStatusType2Type1",
    "AdminListPlansStatusType3Type1",
    "AdminListTenantsStatusType1",
    "AdminListTenantsStatusType2Type1",
    "AdminListTenantsStatusType3Type1",
    "ApiKey",
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyPage",
    "AuditEvent",
    "AuditEventAfterType0",
    "AuditEventBeforeType0",
    "AuditEventPage",
    "CreditNote",
    "CreditNoteCreate",
    "Divergence",
    "ExportAuditEventsFormat",
    "FieldError",
    "GetUsageWindowType1",
    "GetUsageWindowType2Type1",
    "GetUsageWindowType3Type1",
    "Health",
    "Identity",
    "IngestResult",
    "Invitation",
    "InvitationAccept",
    "InvitationCreate",
    "InvitationCreated",
    "InvitationCreatedStatus",
    "InvitationPage",
    "InvitationStatus",
    "Invoice",
    "InvoiceLine",
    "InvoiceLineKind",
    "InvoicePage",
    "InvoiceStatus",
    "InvoiceSummary",
    "InvoiceSummaryStatus",
    "Jwk",
    "JwkAlgType1",
    "JwkAlgType2Type1",
    "JwkAlgType3Type1",
    "Jwks",
    "JwkUseType1",
    "JwkUseType2Type1",
    "JwkUseType3Type1",
    "LineSource",
    "ListAllInvoicesStatusType1",
    "ListAllInvoicesStatusType2Type1",
    "ListAllInvoicesStatusType3Type1",
    "ListInvoicesStatusType1",
    "ListInvoicesStatusType2Type1",
    "ListInvoicesStatusType3Type1",
    "ListRunsStateType1",
    "ListRunsStateType2Type1",
    "ListRunsStateType3Type1",
    "LoginCodeGrant",
    "LogoutRequest",
    "Member",
    "MemberBinding",
    "MemberPage",
    "Meter",
    "MeterAggregation",
    "MeterCreate",
    "MeterCreateAggregation",
    "MeterPage",
    "MeterPatch",
    "MeterPatchAggregationType0",
    "MeterScope",
    "Namespace",
    "NamespaceCreate",
    "NamespaceCreateLabels",
    "NamespaceLabels",
    "NamespacePage",
    "NamespacePatch",
    "NamespacePatchLabelsType0",
    "NamespaceStatus",
    "PeriodClose",
    "PeriodCloseResult",
    "Plan",
    "PlanCreate",
    "PlanPage",
    "PlanPatch",
    "PlanPatchStatusType0",
    "PlanStatus",
    "PlanTerms",
    "PlanVersion",
    "Price",
    "PriceModel",
    "Problem",
    "ReadinessReport",
    "ReadinessReportChecks",
    "ReceiveStripeWebhookBody",
    "ReceiveStripeWebhookBodyData",
    "ReceiveStripeWebhookBodyDataObject",
    "ReceiveStripeWebhookBodyDataObjectMetadata",
    "RefreshTokenGrant",
    "Rejection",
    "RejectionCode",
    "ReplayReport",
    "RetryPolicy",
    "RetryPolicyBackoff",
    "RetryPolicyRetryOnItem",
    "Role",
    "RoleBinding",
    "RoleBindingCreate",
    "RoleBindingCreateSubjectType",
    "RoleBindingPage",
    "RoleBindingSubjectType",
    "RoleCreate",
    "RoleCreatePermissionsItem",
    "RolePage",
    "RolePatch",
    "RolePatchPermissionsType0Item",
    "Run",
    "RunCreate",
    "RunCreateInputs",
    "RunEventMessage",
    "RunInputs",
    "RunPage",
    "RunState",
    "RunStep",
    "RunStepInputType0",
    "RunStepOutputsType0",
    "RunStepState",
    "RunSummary",
    "RunSummaryState",
    "RunTrace",
    "RunTraceInputs",
    "RunTraceState",
    "RunTraceSteps",
    "RunTraceStepsAdditionalProperty",
    "SchedulerStatus",
    "SchedulerStatusMode",
    "SchedulerUpdate",
    "SchedulerUpdateMode",
    "StepError",
    "StepErrorKind",
    "StripeRef",
    "Subscription",
    "SubscriptionChange",
    "SubscriptionChangePage",
    "SubscriptionRequest",
    "SubscriptionStatus",
    "Tenant",
    "TenantCreate",
    "TenantPage",
    "TenantPatch",
    "TenantPatchStatusType0",
    "TenantStatus",
    "TenantUpdate",
    "Tier",
    "TierLine",
    "TokenResponse",
    "TraceAttempt",
    "TraceAttemptInput",
    "TraceAttemptOutcome",
    "TraceAttemptOutputType0",
    "TraceDiff",
    "TraceDifference",
    "UsageBatch",
    "UsageBucket",
    "UsageBucketGroup",
    "UsageEvent",
    "UsageEventProperties",
    "UsageReport",
    "UsageReportAggregation",
    "UsageReportWindowType1",
    "UsageReportWindowType2Type1",
    "UsageReportWindowType3Type1",
    "User",
    "ValidationResult",
    "WebhookAck",
    "Workflow",
    "WorkflowInput",
    "WorkflowInputType",
    "WorkflowLabels",
    "WorkflowManifest",
    "WorkflowMetadata",
    "WorkflowMetadataLabels",
    "WorkflowPage",
    "WorkflowSpec",
    "WorkflowStatus",
    "WorkflowStep",
    "WorkflowStepWith",
    "WorkflowSummary",
    "WorkflowSummaryLabels",
    "WorkflowSummaryStatus",
    "WorkflowVersion",
    "WorkflowVersionPage",
)
