from enum import StrEnum


class RoleCreatePermissionsItem(StrEnum):
    AGENTREAD = "agent:read"
    AGENTWRITE = "agent:write"
    APIKEYCREATE = "apikey:create"
    APIKEYREAD = "apikey:read"
    APIKEYREVOKE = "apikey:revoke"
    AUDITREAD = "audit:read"
    BILLINGREAD = "billing:read"
    BILLINGWRITE = "billing:write"
    MEMBERINVITE = "member:invite"
    MEMBERREAD = "member:read"
    MEMBERREMOVE = "member:remove"
    NAMESPACECREATE = "namespace:create"
    NAMESPACEDELETE = "namespace:delete"
    NAMESPACEREAD = "namespace:read"
    NAMESPACEUPDATE = "namespace:update"
    ROLEBINDINGREAD = "rolebinding:read"
    ROLEBINDINGWRITE = "rolebinding:write"
    ROLEREAD = "role:read"
    ROLEWRITE = "role:write"
    RUNCANCEL = "run:cancel"
    RUNCREATE = "run:create"
    RUNREAD = "run:read"
    TENANTDELETE = "tenant:delete"
    TENANTREAD = "tenant:read"
    TENANTUPDATE = "tenant:update"
    USAGEREAD = "usage:read"
    USAGEWRITE = "usage:write"
    WORKFLOWREAD = "workflow:read"
    WORKFLOWWRITE = "workflow:write"

    def __str__(self) -> str:
        return str(self.value)
