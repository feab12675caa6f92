// xsc-campaigns: the group-buy campaigns service (port 7106, admin 9106).
import Campaigns
import ServiceHost

ServiceHost.run(CampaignsService.definition)
